"""The states of jobs and chunks, and the small vocabularies that describe transitions."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    CREATED = "CREATED"
    VALIDATING = "VALIDATING"
    VALIDATED = "VALIDATED"
    QUEUED = "QUEUED"
    CHUNKING = "CHUNKING"
    CHUNKED = "CHUNKED"
    TRANSLATING = "TRANSLATING"
    ASSEMBLING = "ASSEMBLING"
    FINALIZING = "FINALIZING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    PAUSED = "PAUSED"
    RESUMING = "RESUMING"
    RETRYING = "RETRYING"
    RATE_LIMITED = "RATE_LIMITED"
    RECOVERING = "RECOVERING"


class ChunkStatus(StrEnum):
    PENDING = "PENDING"
    TRANSLATING = "TRANSLATING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    RETRYING = "RETRYING"
    RATE_LIMITED = "RATE_LIMITED"


class ActorRole(StrEnum):
    """Who takes a transition: the workflow itself, the job's owner, or an operator."""

    SYSTEM = "SYSTEM"
    OWNER = "OWNER"
    OPERATOR = "OPERATOR"


class TriggerKind(StrEnum):
    """The design's condition types: automatic, manual (a person asked), or conditional."""

    AUTOMATIC = "AUTOMATIC"
    MANUAL = "MANUAL"
    CONDITIONAL = "CONDITIONAL"


class Priority(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"


class QualityLevel(StrEnum):
    STANDARD = "STANDARD"
    PREMIUM = "PREMIUM"


# Rank 1 starts first. Index keys use the rank, because the names sort HIGH, LOW, NORMAL.
PRIORITY_RANK: dict[Priority, int] = {Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}
