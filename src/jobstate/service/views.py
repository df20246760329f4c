"""Responses built from records: pure functions, so a progress poll costs one GetItem."""

from __future__ import annotations

from datetime import datetime

from jobstate.lifecycle.graph import WORK_STAGES
from jobstate.lifecycle.progress import estimate_translation, human_stage
from jobstate.lifecycle.states import JobStatus
from jobstate.models import (
    ChunkCounts,
    ChunkStatusRecord,
    ChunkSummary,
    DetailedProgress,
    JobCosts,
    JobDetailsResponse,
    JobMetadata,
    JobProgress,
    JobProgressResponse,
    JobSummary,
    JobTimestamps,
    StageProgress,
    TranslationJobRecord,
)
from jobstate.models.responses import StageState

S = JobStatus
_ORDER = {stage: position for position, stage in enumerate(WORK_STAGES)}


def _stage_fraction(job: TranslationJobRecord, stage: JobStatus) -> float:
    if stage == S.TRANSLATING:
        total = job.total_chunks or 1
        return min(100.0, round(job.chunk_units / total, 1))
    return job.stage_progress


def stage_progress(job: TranslationJobRecord, stage: JobStatus) -> StageProgress:
    timing = job.stage_timings.get(stage.value)
    started = timing.started_at if timing else None
    ended = timing.ended_at if timing else None
    done = job.status == S.COMPLETED or _ORDER[job.work_stage] > _ORDER[stage]
    state: StageState
    if done:
        state, value = "COMPLETED", 100.0
    elif job.work_stage == stage:
        state = "FAILED" if job.status == S.FAILED else "IN_PROGRESS"
        value = _stage_fraction(job, stage)
    else:
        state, value = "PENDING", 0.0
    duration = int((ended - started).total_seconds() * 1000) if started and ended and done else None
    items = total = None
    if stage == S.TRANSLATING and job.chunks_registered:
        items, total = job.chunks_completed, job.total_chunks
    return StageProgress(
        status=state,
        progress=value,
        start_time=started,
        end_time=ended if done else None,
        duration=duration,
        items_processed=items,
        total_items=total,
    )


def build_progress(
    job: TranslationJobRecord, now: datetime, queue_position: int | None = None
) -> JobProgressResponse:
    total = job.total_chunks if job.chunks_registered else job.estimated_chunks
    remaining: float | None
    if job.status in (S.COMPLETED, S.FAILED, S.CANCELLED):
        estimate = estimate_translation(
            chunks_completed=0,
            total_chunks=0,
            elapsed_seconds=0,
            word_count=0,
            fallback_remaining_seconds=None,
        )
        remaining = 0.0 if job.status == S.COMPLETED else None
    else:
        fallback = (
            max((job.estimated_completion - now).total_seconds(), 0.0)
            if (job.estimated_completion)
            else None
        )
        elapsed = (now - job.started_at).total_seconds() if job.started_at else 0.0
        estimate = estimate_translation(
            chunks_completed=job.chunks_completed,
            total_chunks=total,
            elapsed_seconds=elapsed,
            word_count=job.word_count,
            fallback_remaining_seconds=fallback,
        )
        remaining = estimate.remaining_seconds
    return JobProgressResponse(
        job_id=job.job_id,
        status=job.status,
        overall_progress=job.overall_progress(),
        chunks_completed=job.chunks_completed,
        total_chunks=total,
        estimated_time_remaining=remaining,
        estimate_confidence=estimate.confidence,
        current_stage=human_stage(job.status),
        last_updated=job.last_activity_at,
        processing_speed=estimate.words_per_minute,
        detailed_progress=DetailedProgress(
            chunking=stage_progress(job, S.CHUNKING),
            translation=stage_progress(job, S.TRANSLATING),
            assembly=stage_progress(job, S.ASSEMBLING),
            delivery=stage_progress(job, S.FINALIZING),
        ),
        chunk_counts=ChunkCounts(
            pending=job.chunks_pending,
            translating=job.chunks_translating,
            completed=job.chunks_completed,
            failed=job.chunks_failed,
            retrying=job.chunks_retrying,
            rate_limited=job.chunks_rate_limited,
        ),
        version=job.version,
        queue_position=queue_position,
        rate_limited_until=job.rate_limited_until,
        requires_review=job.requires_review,
    )


def chunk_summary(chunk: ChunkStatusRecord) -> ChunkSummary:
    return ChunkSummary(
        chunk_id=chunk.chunk_id,
        index=chunk.chunk_index,
        status=chunk.status,
        progress=chunk.progress,
        token_count=chunk.token_count,
        translated_at=chunk.translation_completed,
        retry_count=chunk.retry_count,
        last_error=chunk.last_error.message or chunk.last_error.code if chunk.last_error else None,
    )


def build_details(
    job: TranslationJobRecord,
    chunks: list[ChunkSummary],
    next_cursor: str | None,
    now: datetime,
) -> JobDetailsResponse:
    progress = build_progress(job, now)
    return JobDetailsResponse(
        job_id=job.job_id,
        user_id=job.user_id,
        document_id=job.document_id,
        filename=job.filename,
        target_language=job.target_language,
        status=job.status,
        version=job.version,
        progress=JobProgress(
            overall_percentage=progress.overall_progress,
            current_stage=job.status,
            stage_progress=_stage_fraction(job, job.work_stage),
            chunks_completed=job.chunks_completed,
            total_chunks=progress.total_chunks,
            start_time=job.started_at or job.created_at,
            estimated_completion=job.estimated_completion,
            last_activity=job.last_activity_at,
        ),
        timestamps=JobTimestamps(
            created=job.created_at,
            started=job.started_at,
            completed=job.completed_at,
            last_updated=job.updated_at,
        ),
        costs=JobCosts(estimated=job.estimated_cost, actual=round(job.actual_cost, 6)),
        chunks=chunks,
        chunks_next_cursor=next_cursor,
        errors=[job.last_error] if job.last_error else [],
        metadata=JobMetadata(
            word_count=job.word_count,
            file_size=job.file_size,
            priority=job.priority,
            quality_level=job.quality_level,
            retry_count=job.retry_count,
            max_retries=job.max_retries,
            chunk_retries=job.chunk_retries,
            max_chunk_attempts=job.max_chunk_attempts,
            processing_speed=progress.processing_speed,
        ),
    )


def job_summary(job: TranslationJobRecord) -> JobSummary:
    return JobSummary(
        job_id=job.job_id,
        document_id=job.document_id,
        filename=job.filename,
        target_language=job.target_language,
        status=job.status,
        overall_progress=job.overall_progress(),
        priority=job.priority,
        created_at=job.created_at,
        updated_at=job.updated_at,
    )
