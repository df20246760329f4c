"""What the table holds: job, chunk and history records, and the inputs that change them."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from jobstate.lifecycle.progress import overall_progress
from jobstate.lifecycle.states import ActorRole, ChunkStatus, JobStatus, Priority, QualityLevel
from jobstate.models.base import ApiModel, Timestamp
from jobstate.models.requests import MAX_METADATA_KEYS, Identifier, Reason

# The widest chunk index accepted; chunk sort keys are padded to hold it.
MAX_CHUNKS_PER_JOB = 1_000_000


class ErrorInfo(ApiModel):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Z0-9_]+$")
    message: str = Field(default="", max_length=1000)
    timestamp: Timestamp | None = None
    retryable: bool | None = None
    stage: JobStatus | None = None


class StateTransitionContext(ApiModel):
    """Why a transition happens and who asked for it. `role` decides which edges are open."""

    reason: Reason
    triggered_by: str = Field(default="SYSTEM", min_length=1, max_length=128)
    role: ActorRole = ActorRole.SYSTEM
    metadata: dict[str, Any] | None = Field(default=None, max_length=MAX_METADATA_KEYS)
    expected_version: int | None = Field(default=None, ge=1)
    error: ErrorInfo | None = None


class ChunkSpec(ApiModel):
    """One chunk as the chunking stage produced it."""

    index: int = Field(ge=0, lt=MAX_CHUNKS_PER_JOB)
    token_count: int = Field(ge=1, le=1_000_000)


class ChunkStatusUpdate(ApiModel):
    """A report about one chunk attempt. `attempt`, when given, lets a stale report be ignored."""

    status: ChunkStatus
    progress: float | None = Field(default=None, ge=0, le=100)
    processing_time: int | None = Field(default=None, ge=0, description="milliseconds")
    error: ErrorInfo | None = None
    input_tokens: int | None = Field(default=None, ge=0)
    output_tokens: int | None = Field(default=None, ge=0)
    cost: float | None = Field(default=None, ge=0)
    provider_request_id: str | None = Field(default=None, max_length=256)
    attempt: int | None = Field(default=None, ge=1)
    next_retry: Timestamp | None = None


class JobProgressUpdate(ApiModel):
    """Progress within a non-translation stage (chunking, assembling, finalizing)."""

    stage: JobStatus
    stage_progress: float = Field(ge=0, le=100)


class StageTiming(ApiModel):
    started_at: Timestamp | None = None
    ended_at: Timestamp | None = None


class RecordModel(ApiModel):
    """Records read back from items, which carry key attributes besides the record's fields."""

    model_config = ConfigDict(extra="ignore")


class TranslationJobRecord(RecordModel):
    job_id: str
    user_id: Identifier
    document_id: Identifier
    filename: str
    target_language: str
    status: JobStatus
    version: int = 1
    previous_status: JobStatus | None = None
    # The last stage that did work; holding states (PAUSED, ...) show its progress.
    work_stage: JobStatus = JobStatus.CREATED
    stage_progress: float = 0.0
    progress_floor: float = 0.0

    total_chunks: int = 0
    estimated_chunks: int = 0
    chunks_registered: bool = False
    chunks_pending: int = 0
    chunks_translating: int = 0
    chunks_completed: int = 0
    chunks_failed: int = 0
    chunks_retrying: int = 0
    chunks_rate_limited: int = 0
    # Sum of every chunk's progress; a completed chunk counts 100.
    chunk_units: float = 0.0
    # Chunks not yet completed; the completion that takes it to zero moves the job on.
    chunks_outstanding: int = 0
    # Chunk failures the job tolerates; the failure that takes it below zero fails the job.
    failure_budget: int = 0
    chunk_retries: int = 0

    created_at: Timestamp
    updated_at: Timestamp
    started_at: Timestamp | None = None
    translation_started_at: Timestamp | None = None
    completed_at: Timestamp | None = None
    last_activity_at: Timestamp
    stage_timings: dict[str, StageTiming] = Field(default_factory=dict)

    estimated_completion: Timestamp | None = None
    estimated_cost: float = 0.0
    estimated_duration: float = 0.0
    actual_cost: float = 0.0
    actual_duration: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    chunk_time_total_ms: int = 0

    workflow_execution_arn: str | None = None
    priority: Priority = Priority.NORMAL
    retry_count: int = 0
    max_retries: int = 3
    max_chunk_attempts: int = 3

    word_count: int
    file_size: int
    content_hash: str
    preserve_formatting: bool = True
    custom_glossary: str | None = None
    quality_level: QualityLevel = QualityLevel.STANDARD

    last_error: ErrorInfo | None = None
    rate_limited_until: Timestamp | None = None
    requires_review: bool = False
    processing_speed: float | None = None
    average_chunk_time: float | None = None
    ttl: int | None = None

    def overall_progress(self) -> float:
        """The progress a poll shows (see lifecycle.progress for the bands)."""
        return overall_progress(
            self.status,
            self.work_stage,
            self.stage_progress,
            self.chunk_units,
            self.total_chunks,
            self.progress_floor,
        )


class ChunkStatusRecord(RecordModel):
    job_id: str
    chunk_id: str
    chunk_index: int
    status: ChunkStatus = ChunkStatus.PENDING
    progress: float = 0.0
    token_count: int
    attempts: int = 0
    retry_count: int = 0
    translation_started: Timestamp | None = None
    translation_completed: Timestamp | None = None
    processing_time: int | None = None
    last_attempt: Timestamp | None = None
    next_retry: Timestamp | None = None
    last_error: ErrorInfo | None = None
    provider_request_id: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    translation_confidence: float | None = None
    quality_flags: list[str] | None = None
    updated_at: Timestamp | None = None
    ttl: int | None = None


class JobHistoryItem(RecordModel):
    """One transition. `from_state` is None for the creation of the job."""

    job_id: str
    version: int
    # The owner travels with each transition, so the event relay needs no read to address it.
    user_id: str | None = None
    from_state: JobStatus | None = None
    to_state: JobStatus
    at: Timestamp
    actor: str
    role: ActorRole = ActorRole.SYSTEM
    reason: str
    metadata: dict[str, Any] | None = None
    ttl: int | None = None
