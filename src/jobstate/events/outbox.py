"""Turn a batch of the table's stream records into the events and metrics they imply.

The history item a transition commits is the outbox: each INSERT of one becomes exactly one
event, whose id (job id and version) is the same however often the record is delivered. The job
item's record from the same transaction, usually in the same batch, gives the figures as of that
version; a MODIFY of the job item that completes chunks (and changes no state) becomes a progress
event when it carries the job into a new 5% step. Everything here is pure but for `lookup`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jobstate.events.metrics import MetricPoint, chunk_metrics, transition_metrics
from jobstate.events.models import (
    DETAIL_TYPES,
    PROGRESS_STEP_PERCENT,
    JobCompletedDetail,
    JobCreatedDetail,
    JobEventDetail,
    JobEventType,
    JobFailedDetail,
    JobProgressUpdatedDetail,
    JobStateChangedDetail,
    ProgressFigures,
    event_id,
)
from jobstate.lifecycle.progress import band_progress
from jobstate.lifecycle.states import JobStatus
from jobstate.models import ChunkStatusRecord, JobHistoryItem, TranslationJobRecord
from jobstate.store import keys
from jobstate.store.codec import from_item

JobLookup = Callable[[str], TranslationJobRecord | None]


class _Change(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    keys: dict[str, dict[str, Any]] = Field(alias="Keys")
    new_image: dict[str, Any] | None = Field(default=None, alias="NewImage")
    old_image: dict[str, Any] | None = Field(default=None, alias="OldImage")
    sequence_number: str = Field(alias="SequenceNumber", min_length=1)


class StreamRecord(BaseModel):
    """One DynamoDB stream record, as Lambda delivers it and as GetRecords returns it."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    event_name: Literal["INSERT", "MODIFY", "REMOVE"] = Field(alias="eventName")
    dynamodb: _Change

    @property
    def sequence_number(self) -> str:
        return self.dynamodb.sequence_number


@dataclass(frozen=True)
class OutboxEvent:
    """An event ready for the bus: `detail` is already its JSON."""

    event_id: str
    job_id: str
    version: int
    event_type: JobEventType
    detail: str
    at: datetime

    @property
    def detail_type(self) -> str:
        return DETAIL_TYPES[self.event_type]

    @classmethod
    def of(cls, detail: JobEventDetail) -> OutboxEvent:
        return cls(
            event_id=detail.event_id,
            job_id=detail.job_id,
            version=detail.version,
            event_type=detail.event_type,
            detail=json.dumps(detail.to_json_dict(), separators=(",", ":"), sort_keys=True),
            at=detail.at,
        )


class PlanStatus(StrEnum):
    READY = "READY"
    MALFORMED = "MALFORMED"  # can never be published: goes to the dead-letter destination
    RETRY = "RETRY"  # a read it needed failed: the stream delivers it again


@dataclass
class RecordPlan:
    """What one stream record asks for. `raw` is kept for the dead-letter destination."""

    position: int
    raw: dict[str, Any]
    sequence_number: str | None
    status: PlanStatus = PlanStatus.READY
    job_id: str | None = None
    event: OutboxEvent | None = None
    metrics: list[MetricPoint] = field(default_factory=list)
    problem: str | None = None


class MalformedRecordError(ValueError):
    """A stream record that no retry can turn into an event."""


def plan_batch(records: Sequence[dict[str, Any]], lookup: JobLookup) -> list[RecordPlan]:
    """One plan per record, in stream order."""
    parsed: list[tuple[RecordPlan, StreamRecord | None]] = []
    for position, raw in enumerate(records):
        plan = RecordPlan(position, raw, _sequence_number(raw))
        try:
            parsed.append((plan, StreamRecord.model_validate(raw)))
        except ValidationError as error:
            plan.status, plan.problem = PlanStatus.MALFORMED, _brief(error)
            parsed.append((plan, None))
    jobs = _JobSnapshots(lookup, [r for _, r in parsed if r is not None])
    for plan, record in parsed:
        if record is None:
            continue
        try:
            _plan_record(plan, record, jobs)
        except (MalformedRecordError, ValidationError, KeyError, TypeError, ValueError) as error:
            plan.status, plan.problem = PlanStatus.MALFORMED, _brief(error)
            plan.event, plan.metrics = None, []
    return [plan for plan, _ in parsed]


class _JobSnapshots:
    """The job as of a version: from the batch's own job-item records, else read once."""

    def __init__(self, lookup: JobLookup, records: list[StreamRecord]) -> None:
        self._lookup = lookup
        self._by_version: dict[tuple[str, int], TranslationJobRecord] = {}
        self._read: dict[str, TranslationJobRecord | None] = {}
        for record in records:
            image = record.dynamodb.new_image
            if record.event_name == "REMOVE" or not image or _sort_key(record) != keys.JOB_SK:
                continue
            try:
                job = TranslationJobRecord.model_validate(from_item(image))
            except (ValidationError, TypeError, ValueError):
                continue  # its own plan reports it as malformed
            self._by_version[(job.job_id, job.version)] = job

    def at_version(self, job_id: str, version: int) -> tuple[TranslationJobRecord | None, bool]:
        """The snapshot and whether it is exactly `version` (else a later one, or None)."""
        exact = self._by_version.get((job_id, version))
        if exact is not None:
            return exact, True
        if job_id not in self._read:
            self._read[job_id] = self._lookup(job_id)
        current = self._read[job_id]
        return current, current is not None and current.version == version


def _plan_record(plan: RecordPlan, record: StreamRecord, jobs: _JobSnapshots) -> None:
    sort_key = _sort_key(record)
    partition = _key(record, "PK")
    if not partition.startswith("JOB#") or record.event_name == "REMOVE":
        return
    plan.job_id = partition.removeprefix("JOB#")
    if sort_key.startswith(keys.HISTORY_PREFIX) and record.event_name == "INSERT":
        _plan_transition(plan, _image(record.dynamodb.new_image), jobs)
    elif sort_key == keys.JOB_SK and record.event_name == "MODIFY":
        _plan_progress(plan, record)
    elif sort_key.startswith(keys.CHUNK_PREFIX) and record.event_name == "MODIFY":
        old = ChunkStatusRecord.model_validate(_image(record.dynamodb.old_image))
        new = ChunkStatusRecord.model_validate(_image(record.dynamodb.new_image))
        plan.metrics = chunk_metrics(old, new)


def _plan_transition(plan: RecordPlan, image: dict[str, Any], jobs: _JobSnapshots) -> None:
    history = JobHistoryItem.model_validate(image)
    try:
        job, exact = jobs.at_version(history.job_id, history.version)
    except Exception as error:  # a failed read is not the record's fault: deliver it again
        plan.status, plan.problem = PlanStatus.RETRY, f"job lookup failed: {error}"
        return
    if job is None:
        raise MalformedRecordError(f"history of job {history.job_id} whose job item is gone")
    plan.event = OutboxEvent.of(_transition_detail(history, job, exact))
    plan.metrics = transition_metrics(history, job, exact)


def _transition_detail(
    history: JobHistoryItem, job: TranslationJobRecord, exact: bool
) -> JobEventDetail:
    common: dict[str, Any] = {
        "event_id": event_id(history.job_id, history.version),
        "job_id": history.job_id,
        "user_id": job.user_id,
        "version": history.version,
        "at": history.at,
        "from_state": history.from_state,
        "actor": history.actor,
        "role": history.role,
        "reason": history.reason,
        "progress": _figures(job) if exact else None,
    }
    if history.from_state is None:
        if history.to_state != JobStatus.CREATED:
            raise MalformedRecordError(f"history without fromState moves to {history.to_state}")
        return JobCreatedDetail(
            **common,
            target_language=job.target_language,
            priority=job.priority,
            quality_level=job.quality_level,
            word_count=job.word_count,
        )
    if history.to_state == JobStatus.COMPLETED:
        return JobCompletedDetail(
            **common,
            actual_cost=job.actual_cost if exact else None,
            actual_duration=job.actual_duration if exact else None,
        )
    if history.to_state == JobStatus.FAILED:
        error = job.last_error if exact else None
        return JobFailedDetail(
            **common,
            error_code=error.code if error else None,
            retryable=error.retryable if error else None,
        )
    return JobStateChangedDetail(**common, to_state=history.to_state)


def _plan_progress(plan: RecordPlan, record: StreamRecord) -> None:
    old = TranslationJobRecord.model_validate(_image(record.dynamodb.old_image))
    new = TranslationJobRecord.model_validate(_image(record.dynamodb.new_image))
    if old.status != new.status or new.chunks_completed <= old.chunks_completed:
        return  # a transition (its history item is the event) or an in-chunk update
    if completion_step(new) <= completion_step(old):
        return
    detail = JobProgressUpdatedDetail(
        event_id=event_id(new.job_id, new.version),
        job_id=new.job_id,
        user_id=new.user_id,
        version=new.version,
        at=new.updated_at,
        status=new.status,
        progress=_figures(new),
    )
    plan.event = OutboxEvent.of(detail)


def completion_step(job: TranslationJobRecord) -> int:
    """The 5% step of overall progress that the job's completed chunks alone reach.

    Counting completed chunks only (not in-chunk progress) keeps the throttle stateless: each
    completion either enters a new step or not, whatever in-chunk updates came between.
    """
    value = band_progress(
        JobStatus.TRANSLATING, 0.0, 100.0 * job.chunks_completed, job.total_chunks
    )
    return math.floor(value / PROGRESS_STEP_PERCENT)


def _figures(job: TranslationJobRecord) -> ProgressFigures:
    return ProgressFigures(
        overall_progress=job.overall_progress(),
        chunks_completed=job.chunks_completed,
        chunks_failed=job.chunks_failed,
        total_chunks=job.total_chunks,
    )


def _image(image: dict[str, Any] | None) -> dict[str, Any]:
    if not image:
        raise MalformedRecordError("record has no image to read")
    return from_item(image)


def _key(record: StreamRecord, name: str) -> str:
    value = record.dynamodb.keys.get(name, {}).get("S")
    if not isinstance(value, str):
        raise MalformedRecordError(f"record key {name} is not a string")
    return value


def _sort_key(record: StreamRecord) -> str:
    return str(record.dynamodb.keys.get("SK", {}).get("S", ""))


def _sequence_number(raw: Any) -> str | None:
    if isinstance(raw, dict) and isinstance(raw.get("dynamodb"), dict):
        value = raw["dynamodb"].get("SequenceNumber")
        return value if isinstance(value, str) and value else None
    return None


def _brief(error: Exception) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"
