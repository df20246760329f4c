"""The events jobstate puts on its EventBridge bus: one model per event type, its `detail`.

Every detail carries `eventId` (the job id and the version of the change), so a consumer that
sees an event twice can drop the second copy, and `version`, so it can order a job's events.
No detail carries document text, filenames or tokens.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from jobstate.lifecycle.states import ActorRole, JobStatus, Priority, QualityLevel
from jobstate.models.base import ApiModel, Timestamp

EVENT_SOURCE = "translation.jobstate"
DEFAULT_EVENT_BUS_NAME = "jobstate"


class JobEventType(StrEnum):
    JOB_CREATED = "JOB_CREATED"
    JOB_STATE_CHANGED = "JOB_STATE_CHANGED"
    JOB_PROGRESS_UPDATED = "JOB_PROGRESS_UPDATED"
    JOB_COMPLETED = "JOB_COMPLETED"
    JOB_FAILED = "JOB_FAILED"


# EventBridge's convention: a short human-readable phrase that rules match on.
DETAIL_TYPES: dict[JobEventType, str] = {
    JobEventType.JOB_CREATED: "Job Created",
    JobEventType.JOB_STATE_CHANGED: "Job State Changed",
    JobEventType.JOB_PROGRESS_UPDATED: "Job Progress Updated",
    JobEventType.JOB_COMPLETED: "Job Completed",
    JobEventType.JOB_FAILED: "Job Failed",
}

# A progress event goes out when completed chunks carry the job into a new step of this size.
PROGRESS_STEP_PERCENT = 5.0


def event_id(job_id: str, version: int) -> str:
    """The stable id of the event for `version` of a job: the same on every redelivery."""
    return f"{job_id}:{version}"


class ProgressFigures(ApiModel):
    """The job's progress as of the event's version."""

    overall_progress: float = Field(ge=0, le=100, description="percent, as a poll shows it")
    chunks_completed: int = Field(ge=0)
    chunks_failed: int = Field(ge=0)
    total_chunks: int = Field(ge=0)


class JobEventDetail(ApiModel):
    event_id: str = Field(description="job id and version; the same on every redelivery")
    event_type: JobEventType
    job_id: str
    user_id: str
    version: int = Field(ge=1, description="the job's version after the change")
    at: Timestamp = Field(description="when the change committed")
    progress: ProgressFigures | None = Field(
        default=None,
        description="absent only when the relay could not see the job as of this version",
    )


class _TransitionDetail(JobEventDetail):
    from_state: JobStatus | None = None
    to_state: JobStatus
    actor: str = Field(description="who asked for the change: a user id, an operator or SYSTEM")
    role: ActorRole
    reason: str


class JobCreatedDetail(_TransitionDetail):
    event_type: Literal[JobEventType.JOB_CREATED] = JobEventType.JOB_CREATED
    to_state: Literal[JobStatus.CREATED] = JobStatus.CREATED
    target_language: str | None = None
    priority: Priority | None = None
    quality_level: QualityLevel | None = None
    word_count: int | None = None


class JobStateChangedDetail(_TransitionDetail):
    event_type: Literal[JobEventType.JOB_STATE_CHANGED] = JobEventType.JOB_STATE_CHANGED
    from_state: JobStatus


class JobCompletedDetail(_TransitionDetail):
    event_type: Literal[JobEventType.JOB_COMPLETED] = JobEventType.JOB_COMPLETED
    from_state: JobStatus
    to_state: Literal[JobStatus.COMPLETED] = JobStatus.COMPLETED
    actual_cost: float | None = Field(default=None, ge=0)
    actual_duration: float | None = Field(default=None, ge=0, description="seconds")


class JobFailedDetail(_TransitionDetail):
    event_type: Literal[JobEventType.JOB_FAILED] = JobEventType.JOB_FAILED
    from_state: JobStatus
    to_state: Literal[JobStatus.FAILED] = JobStatus.FAILED
    error_code: str | None = None
    retryable: bool | None = None


class JobProgressUpdatedDetail(JobEventDetail):
    event_type: Literal[JobEventType.JOB_PROGRESS_UPDATED] = JobEventType.JOB_PROGRESS_UPDATED
    status: JobStatus
    progress: ProgressFigures


AnyJobEventDetail = (
    JobCreatedDetail
    | JobStateChangedDetail
    | JobCompletedDetail
    | JobFailedDetail
    | JobProgressUpdatedDetail
)

DETAIL_MODELS: dict[JobEventType, type[JobEventDetail]] = {
    JobEventType.JOB_CREATED: JobCreatedDetail,
    JobEventType.JOB_STATE_CHANGED: JobStateChangedDetail,
    JobEventType.JOB_PROGRESS_UPDATED: JobProgressUpdatedDetail,
    JobEventType.JOB_COMPLETED: JobCompletedDetail,
    JobEventType.JOB_FAILED: JobFailedDetail,
}
