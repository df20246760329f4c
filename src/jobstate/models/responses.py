"""Response models of the design's section 2, with the fields the corrected design adds."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from jobstate.lifecycle.progress import EstimateConfidence
from jobstate.lifecycle.states import ActorRole, ChunkStatus, JobStatus, Priority, QualityLevel
from jobstate.models.base import ApiModel, Timestamp
from jobstate.models.records import ErrorInfo

StageState = Literal["PENDING", "IN_PROGRESS", "COMPLETED", "FAILED"]


class CreateJobResponse(ApiModel):
    job_id: str
    status: JobStatus
    estimated_completion: Timestamp
    estimated_cost: float
    chunk_count: int
    progress_tracking_url: str


class StageProgress(ApiModel):
    status: StageState
    progress: float = Field(ge=0, le=100)
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None
    duration: int | None = Field(default=None, description="milliseconds")
    items_processed: int | None = None
    total_items: int | None = None


class DetailedProgress(ApiModel):
    chunking: StageProgress
    translation: StageProgress
    assembly: StageProgress
    delivery: StageProgress


class ChunkCounts(ApiModel):
    pending: int
    translating: int
    completed: int
    failed: int
    retrying: int
    rate_limited: int


class JobProgressResponse(ApiModel):
    job_id: str
    status: JobStatus
    overall_progress: float = Field(ge=0, le=100)
    chunks_completed: int
    total_chunks: int
    estimated_time_remaining: float | None = Field(default=None, description="seconds")
    estimate_confidence: EstimateConfidence
    current_stage: str
    last_updated: Timestamp
    processing_speed: float | None = Field(default=None, description="words per minute")
    detailed_progress: DetailedProgress
    chunk_counts: ChunkCounts
    version: int
    queue_position: int | None = None
    rate_limited_until: Timestamp | None = None
    requires_review: bool = False


class JobProgress(ApiModel):
    overall_percentage: float
    current_stage: JobStatus
    stage_progress: float
    chunks_completed: int
    total_chunks: int
    start_time: Timestamp
    estimated_completion: Timestamp | None = None
    last_activity: Timestamp


class JobTimestamps(ApiModel):
    created: Timestamp
    started: Timestamp | None = None
    completed: Timestamp | None = None
    last_updated: Timestamp


class JobCosts(ApiModel):
    estimated: float
    actual: float | None = None


class ChunkSummary(ApiModel):
    chunk_id: str
    index: int
    status: ChunkStatus
    progress: float
    token_count: int
    translated_at: Timestamp | None = None
    retry_count: int
    last_error: str | None = None


class JobMetadata(ApiModel):
    word_count: int
    file_size: int
    priority: Priority
    quality_level: QualityLevel
    retry_count: int = Field(description="job-level retries used")
    max_retries: int
    chunk_retries: int = Field(description="chunk attempts beyond each chunk's first")
    max_chunk_attempts: int
    processing_speed: float | None = None


class JobDetailsResponse(ApiModel):
    job_id: str
    user_id: str
    document_id: str
    filename: str
    target_language: str
    status: JobStatus
    version: int
    progress: JobProgress
    timestamps: JobTimestamps
    costs: JobCosts
    chunks: list[ChunkSummary]
    chunks_next_cursor: str | None = None
    errors: list[ErrorInfo] = Field(default_factory=list)
    metadata: JobMetadata


class ChunkPage(ApiModel):
    chunks: list[ChunkSummary]
    next_cursor: str | None = None
    has_more: bool


class JobSummary(ApiModel):
    job_id: str
    document_id: str
    filename: str
    target_language: str
    status: JobStatus
    overall_progress: float
    priority: Priority
    created_at: Timestamp
    updated_at: Timestamp


class UserJobsResponse(ApiModel):
    jobs: list[JobSummary]
    total_count: int
    next_cursor: str | None = None
    has_more: bool


class HistoryEntry(ApiModel):
    version: int
    from_state: JobStatus | None = Field(serialization_alias="from", validation_alias="from")
    to_state: JobStatus = Field(serialization_alias="to", validation_alias="to")
    at: Timestamp
    actor: str
    role: ActorRole
    reason: str
    metadata: dict[str, Any] | None = None


class JobHistoryResponse(ApiModel):
    job_id: str
    history: list[HistoryEntry]
