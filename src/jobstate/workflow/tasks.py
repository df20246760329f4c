"""What each pipeline task does, decided from the state the job is actually in.

Every task is idempotent under at-least-once delivery: it reads the job, does its stage only if
the job is in it, and otherwise routes from wherever the job is. Transitions are guarded by the
store, chunk reports by the chunk's own state, so a repeated task changes nothing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field

from jobstate.errors import IllegalTransitionError, StaleStateError
from jobstate.lifecycle.recovery import (
    ErrorCategory,
    ErrorScope,
    RecoveryActionKind,
    classify_error,
    determine_recovery_strategy,
    full_jitter_delay,
)
from jobstate.lifecycle.states import ChunkStatus, JobStatus
from jobstate.models import (
    ChunkStatusRecord,
    ChunkStatusUpdate,
    ErrorInfo,
    JobProgressUpdate,
    StateTransitionContext,
    TranslationJobRecord,
    format_timestamp,
    utc_now,
)
from jobstate.models.base import ApiModel
from jobstate.observability import logger
from jobstate.service.recovery import JobErrorRecovery
from jobstate.store import keys
from jobstate.store.manager import Clock, JobStateManager
from jobstate.store.queue import JobQueue
from jobstate.workflow.pipeline import Outcome, Step
from jobstate.workflow.policy import (
    MIN_POLL_SECONDS,
    RELEASE_PAUSED_AFTER_SECONDS,
    RESTART_STAGE,
    hold_poll_seconds,
    plan_batches,
    queue_poll_seconds,
    retries_since_review,
    whole_seconds,
)
from jobstate.workflow.ports import Ports, TranslationError, TranslationRequest, load_ports
from jobstate.workflow.settings import WorkflowSettings

S = JobStatus
C = ChunkStatus

# Errors a task can end with, as the error codes recovery knows.
FAILURE_CODES: dict[str, str] = {
    "StoreUnavailableError": "STORAGE_ERROR",
    "States.Timeout": "TIMEOUT",
    "States.TaskFailed": "INTERNAL_ERROR",
}
TEMPORARY_PROVIDER_TROUBLE = frozenset({ErrorCategory.RATE_LIMIT, ErrorCategory.SERVICE_ERROR})
MAX_ROUTE_DEPTH = 8


class TaskFailure(ApiModel):
    """The error Step Functions' Catch adds to the state (`{"Error": ..., "Cause": ...}`)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    error: str = Field(alias="Error", min_length=1, max_length=256)
    cause: str = Field(default="", alias="Cause")


class StepInput(ApiModel):
    job_id: str = Field(min_length=1, max_length=128)
    execution_id: str = Field(default="local", min_length=1, max_length=2048)
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)
    error: TaskFailure | None = None


class Batch(ApiModel):
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class StepResult(ApiModel):
    job_id: str
    next: str
    status: JobStatus | None = None
    then: str | None = None
    wait_seconds: float | None = None
    wait_whole_seconds: int | None = None
    batches: list[Batch] | None = None
    completed: int | None = None
    failed: int | None = None

    def payload(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json", exclude_none=True)


class ChunkOutcome(StrEnum):
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    STOP = "STOP"  # the job left TRANSLATING (rate limit, pause, cancel) or time is up


class WorkflowTasks:
    """The pipeline's tasks. Handlers and the local runner call these, and nothing else does."""

    def __init__(
        self,
        *,
        manager: JobStateManager | None = None,
        settings: WorkflowSettings | None = None,
        ports: Ports | None = None,
        clock: Clock = utc_now,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.manager = manager or JobStateManager(clock=clock)
        self.settings = settings or WorkflowSettings.from_env()
        self._ports = ports
        self.queue = JobQueue(self.manager)
        self.recovery = JobErrorRecovery(manager=self.manager, clock=clock, rng=rng)
        self._clock = clock
        self._rng = rng or random.Random()
        self._sleep = sleep

    @property
    def ports(self) -> Ports:
        if self._ports is None:
            self._ports = load_ports(self.settings)
        return self._ports

    # ------------------------------------------------------------------------- tasks

    def route_job(self, step: StepInput) -> StepResult:
        """The entry point of every execution: claim the job, then go where it stands."""
        job = self.manager.require_job(step.job_id)
        if job.workflow_execution_arn != step.execution_id and not _settled(job):
            self.manager.set_workflow_execution(job.job_id, step.execution_id)
            logger.info(
                "workflow execution claimed the job",
                extra={"job_id": job.job_id, "execution": step.execution_id},
            )
        return self._route(job)

    def validate_document(self, step: StepInput) -> StepResult:
        job, superseded = self._load(step)
        if superseded:
            return superseded
        if job.status == S.CREATED:
            job = self._move(job, S.VALIDATING, "workflow starts validation")
        if job.status != S.VALIDATING:
            return self._route(job)
        result = self.ports.validator.validate(job)
        if not result.valid:
            error = ErrorInfo(code="VALIDATION_FAILED", message=result.reason[:500])
            return self._route(self._move(job, S.FAILED, "validation failed", error=error))
        self._progress(job, S.VALIDATING, 100.0)
        return self._route(self._move(job, S.VALIDATED, "legal attestation valid"))

    def admit_job(self, step: StepInput) -> StepResult:
        """Start the job if a slot is free and it is among the first in the queue."""
        # Limitation: the slot count is read from the index, not reserved, so two jobs admitted
        # at the same moment can run one over JOBSTATE_MAX_ACTIVE_JOBS until one finishes.
        job, superseded = self._load(step)
        if superseded:
            return superseded
        if job.status != S.QUEUED:
            return self._route(job)
        limit = self.settings.max_active_jobs
        position = self.queue.position(job)
        if position <= limit:  # deeper in the queue it cannot start, whatever is running
            free = limit - self.queue.running_count(up_to=limit)
            if free > 0 and job.job_id in self.queue.next_jobs(free):
                reason = "capacity free and job first in queue"
                return self._route(self._move(job, S.CHUNKING, reason))
        wait = self.settings.scaled(queue_poll_seconds(position))
        return self._wait(job, Step.ADMIT, max(wait, MIN_POLL_SECONDS))

    def chunk_document(self, step: StepInput) -> StepResult:
        job, superseded = self._load(step)
        if superseded:
            return superseded
        if job.status != S.CHUNKING:
            return self._route(job)
        specs = self.ports.chunker.plan(job)
        self._progress(job, S.CHUNKING, 50.0)
        job = self.manager.register_chunks(job.job_id, specs)
        self._progress(job, S.CHUNKING, 100.0)
        meta = {"chunks": job.total_chunks}
        return self._route(self._move(job, S.CHUNKED, "chunks created", metadata=meta))

    def plan_translation(self, step: StepInput) -> StepResult:
        """Decide the next translation wave, or what the job needs once no chunk is left to try."""
        job, superseded = self._load(step)
        if superseded:
            return superseded
        if job.status == S.RATE_LIMITED:
            until = job.rate_limited_until
            if until is not None and self._clock() < until:
                return self._wait(job, Step.ROUTE, (until - self._clock()).total_seconds())
            job = self._move(job, S.TRANSLATING, "rate limit window over")
        if job.status == S.FAILED:
            return self._after_failure(job)
        if job.status != S.TRANSLATING:
            return self._route(job)
        if job.chunks_outstanding - job.chunks_failed > 0:
            ranges = plan_batches(job.total_chunks, self.settings.max_concurrency)
            return StepResult(
                job_id=job.job_id,
                next=Outcome.TRANSLATE,
                status=job.status,
                batches=[Batch(start=a, end=b) for a, b in ranges],
            )
        if job.chunks_failed == 0:
            # The last chunk completed while the job was elsewhere (paused, rate limited), so
            # the store's own move to ASSEMBLING did not happen.
            return self._route(self._move(job, S.ASSEMBLING, "every chunk completed"))
        return self._partial_retry(job)

    def translate_batch(self, step: StepInput, *, deadline: float | None = None) -> StepResult:
        """Translate the chunks of one range that are not settled, one attempt at a time.

        The reply counts the range's chunks completed and failed so far, the same for a replay.

        `deadline` (a `time.monotonic()` value) is when the task must stop starting attempts;
        chunks it did not reach stay as they are for the next wave.
        """
        job, superseded = self._load(step)
        if superseded:
            return superseded
        start, end = step.start or 0, step.end if step.end is not None else job.total_chunks
        completed = failed = 0
        if end > start:
            chunks, _ = self.manager.query_chunks(
                job.job_id, start_after=start - 1 if start > 0 else None, limit=end - start
            )
            for chunk in chunks:
                if chunk.chunk_index >= end:
                    break
                if chunk.status in (C.COMPLETED, C.FAILED):
                    completed += chunk.status == C.COMPLETED
                    failed += chunk.status == C.FAILED
                    continue
                outcome = self._translate_chunk(job, chunk, step.execution_id, deadline)
                completed += outcome == ChunkOutcome.COMPLETED
                failed += outcome == ChunkOutcome.FAILED
                if outcome == ChunkOutcome.STOP:
                    break
        return StepResult(
            job_id=job.job_id,
            next=Step.PLAN,
            status=self.manager.require_job(job.job_id).status,
            completed=completed,
            failed=failed,
        )

    def assemble_document(self, step: StepInput) -> StepResult:
        job, superseded = self._load(step)
        if superseded:
            return superseded
        if job.status != S.ASSEMBLING:
            return self._route(job)
        missing = self._failed_indexes(job)
        self._progress(job, S.ASSEMBLING, 10.0)
        assembly = self.ports.assembler.assemble(job, missing)
        self._progress(job, S.ASSEMBLING, 100.0)
        meta = {"location": assembly.location, "missingSections": len(assembly.missing_sections)}
        return self._route(self._move(job, S.FINALIZING, "document assembled", metadata=meta))

    def finalize_job(self, step: StepInput) -> StepResult:
        job, superseded = self._load(step)
        if superseded:
            return superseded
        if job.status != S.FINALIZING:
            return self._route(job)
        check = self.ports.quality.check(job, self._failed_indexes(job))
        if not check.passed:
            error = ErrorInfo(code="QUALITY_CHECK_FAILED", message=check.reason[:500])
            return self._route(self._move(job, S.FAILED, "final check failed", error=error))
        self._progress(job, S.FINALIZING, 100.0)
        return self._route(self._move(job, S.COMPLETED, "final quality check passed"))

    def record_failure(self, step: StepInput) -> StepResult:
        """A task failed past its retries: let recovery decide from the job's current state."""
        job, superseded = self._load(step)
        if superseded:
            return superseded
        if _settled(job):
            return self._route(job)
        name = step.error.error if step.error else "States.TaskFailed"
        code = FAILURE_CODES.get(name, "INTERNAL_ERROR")
        error = ErrorInfo(code=code, message=f"task failed with {name}"[:1000])
        try:
            action = self.recovery.handle_job_error(job.job_id, error, scope=ErrorScope.JOB)
        except (IllegalTransitionError, StaleStateError):
            job = self.manager.require_job(job.job_id)
            if not _settled(job):
                self._move(job, S.FAILED, f"unrecoverable: {name}", error=error)
            return self._route(self.manager.require_job(job.job_id))
        job = self.manager.require_job(job.job_id)
        if job.status == S.RETRYING:
            return self._wait(job, Step.ROUTE, self.settings.scaled(action.delay_seconds))
        return self._route(job)

    # ----------------------------------------------------------------------- routing

    def _route(self, job: TranslationJobRecord, depth: int = 0) -> StepResult:
        """The step for a job in its current state, making the automatic moves on the way."""
        if depth > MAX_ROUTE_DEPTH:
            raise RuntimeError(f"job {job.job_id} keeps changing state under the workflow")
        status = job.status
        simple: dict[JobStatus, str] = {
            S.CREATED: Step.VALIDATE,
            S.VALIDATING: Step.VALIDATE,
            S.QUEUED: Step.ADMIT,
            S.CHUNKING: Step.CHUNK,
            S.TRANSLATING: Step.PLAN,
            S.RATE_LIMITED: Step.PLAN,
            S.ASSEMBLING: Step.ASSEMBLE,
            S.FINALIZING: Step.FINALIZE,
            S.COMPLETED: Outcome.SUCCEEDED,
            S.CANCELLED: Outcome.CANCELLED,
            S.FAILED: Outcome.FAILED,
        }
        if status in simple:
            return StepResult(job_id=job.job_id, next=simple[status], status=status)
        if status == S.PAUSED:
            return self._hold(job)
        if status == S.VALIDATED:
            moved = self._move(job, S.QUEUED, "job enters the processing queue")
        elif status == S.CHUNKED:
            moved = self._move(job, S.TRANSLATING, "translation fan-out starts")
        elif status == S.RESUMING:
            if job.chunks_registered:
                self._requeue_failed_chunks(job, only_retryable=False)
                moved = self._move(job, S.TRANSLATING, "translation resumes")
            else:
                moved = self._move(job, S.QUEUED, "job paused before chunking re-queued")
        else:  # RETRYING or RECOVERING: restart the stage the job was in
            target = RESTART_STAGE.get(job.work_stage, S.VALIDATING)
            if target == S.TRANSLATING and status == S.RETRYING:
                self._requeue_failed_chunks(
                    job, only_retryable=job.previous_status == S.TRANSLATING
                )
            verb = "retry" if status == S.RETRYING else "recovery"
            moved = self._move(job, target, f"{verb} restarts the stage")
        return self._route(moved, depth + 1)

    def _hold(self, job: TranslationJobRecord) -> StepResult:
        timing = job.stage_timings.get(S.PAUSED.value)
        since = timing.started_at if timing and timing.started_at else job.updated_at
        held = (self._clock() - since).total_seconds()
        if held > RELEASE_PAUSED_AFTER_SECONDS:
            logger.info("paused job released by its execution", extra={"job_id": job.job_id})
            return StepResult(job_id=job.job_id, next=Outcome.RELEASED, status=job.status)
        wait = self.settings.scaled(hold_poll_seconds(held))
        return self._wait(job, Step.ROUTE, max(wait, MIN_POLL_SECONDS))

    def _wait(self, job: TranslationJobRecord, then: Step, seconds: float) -> StepResult:
        return StepResult(
            job_id=job.job_id,
            next=Outcome.WAIT,
            status=job.status,
            then=then,
            wait_seconds=round(max(seconds, 0.0), 6),
            wait_whole_seconds=whole_seconds(seconds),
        )

    # ---------------------------------------------------------------------- recovery

    def _partial_retry(self, job: TranslationJobRecord) -> StepResult:
        """Every chunk is settled and some failed, under the threshold: retry them or go on."""
        retryable = [c for c in self._failed_chunks(job) if _retryable(c)]
        if not retryable:
            reason = "translation settled with permanently failed chunks"
            settled = {"chunksFailed": job.chunks_failed}
            return self._route(self._move(job, S.ASSEMBLING, reason, metadata=settled))
        code = _error_code(retryable[0])
        strategy = determine_recovery_strategy(
            classify_error(code),
            scope=ErrorScope.JOB,
            current_retries=retries_since_review(
                self.manager.get_job_history(job.job_id), S.RETRYING
            ),
            max_retries=job.max_retries,
            rng=self._rng,
        )
        error = ErrorInfo(code=code, message=f"{len(retryable)} chunks failed", stage=S.TRANSLATING)
        if strategy.action in (RecoveryActionKind.PAUSE_AND_REVIEW, RecoveryActionKind.ESCALATE):
            return self._pause_for_review(job, error)
        if strategy.action == RecoveryActionKind.FAIL_PERMANENT:
            reason = "retries exhausted; going on with the failed chunks"
            return self._route(self._move(job, S.ASSEMBLING, reason, error=error))
        delay = self.settings.scaled(strategy.delay_seconds)
        meta: dict[str, Any] = {"chunks": len(retryable), "retryDelaySeconds": round(delay, 3)}
        logger.warning("partial retry of failed chunks", extra={"job_id": job.job_id, **meta})
        moved = self._move(job, S.RETRYING, "partial retry of failed chunks", meta, error)
        return self._wait(moved, Step.ROUTE, delay)

    def _after_failure(self, job: TranslationJobRecord) -> StepResult:
        """The job failed past the threshold; provider trouble is retried, then reviewed."""
        codes = [_error_code(c) for c in self._failed_chunks(job)]
        temporary = [c for c in codes if classify_error(c).category in TEMPORARY_PROVIDER_TROUBLE]
        if not temporary:
            return self._route(job)
        strategy = determine_recovery_strategy(
            classify_error(temporary[0]),
            scope=ErrorScope.JOB,
            current_retries=retries_since_review(
                self.manager.get_job_history(job.job_id), S.RETRYING
            ),
            max_retries=job.max_retries,
            rng=self._rng,
        )
        error = ErrorInfo(code=temporary[0], message="failed chunks past the threshold")
        if strategy.action == RecoveryActionKind.PAUSE_AND_REVIEW:
            return self._pause_for_review(job, error)
        delay = self.settings.scaled(strategy.delay_seconds)
        meta = {"retryDelaySeconds": round(delay, 3)}
        logger.warning("retrying a job failed by provider errors", extra={"job_id": job.job_id})
        moved = self._move(job, S.RETRYING, f"retrying after {temporary[0]}", meta, error)
        return self._wait(moved, Step.ROUTE, delay)

    def _pause_for_review(self, job: TranslationJobRecord, error: ErrorInfo) -> StepResult:
        meta = {"requiresReview": True, "pauseReason": error.code}
        moved = self._move(job, S.PAUSED, f"paused for review: {error.code}", meta, error)
        if moved.status == S.PAUSED:
            logger.error("job paused for review", extra={"job_id": job.job_id, "error": error.code})
        return self._route(moved)

    def _requeue_failed_chunks(self, job: TranslationJobRecord, *, only_retryable: bool) -> int:
        count = 0
        for chunk in self._failed_chunks(job):
            if only_retryable and not _retryable(chunk):
                continue
            self.manager.update_chunk_status(
                job.job_id,
                chunk.chunk_id,
                chunk.chunk_index,
                ChunkStatusUpdate(status=C.PENDING),
            )
            count += 1
        return count

    # ------------------------------------------------------------------- translation

    def _translate_chunk(
        self,
        job: TranslationJobRecord,
        chunk: ChunkStatusRecord,
        execution_id: str,
        deadline: float | None,
    ) -> ChunkOutcome:
        attempts = chunk.attempts
        tries = 0
        text = self.ports.chunker.text(job, chunk.chunk_index)
        if chunk.status == C.TRANSLATING:
            # An attempt that never reported (its worker died): close it so a new one can
            # start. Should it still finish, its result is kept all the same.
            lost = ErrorInfo(code="ATTEMPT_LOST", message="attempt ended without a report")
            self._report(job, chunk, C.RETRYING, attempt=attempts, error=lost)
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                return ChunkOutcome.STOP
            current = self.manager.require_job(job.job_id)
            if current.status != S.TRANSLATING or _superseded(current, execution_id):
                return ChunkOutcome.STOP
            started = self._report(job, chunk, C.TRANSLATING, attempt=attempts + 1, progress=0.0)
            if not started.applied:
                return ChunkOutcome.SKIPPED  # settled or taken by another attempt meanwhile
            attempts = started.chunk.attempts
            began = time.monotonic()
            request = TranslationRequest(
                job_id=job.job_id,
                chunk_index=chunk.chunk_index,
                attempt=attempts,
                text=text,
                token_count=chunk.token_count,
                target_language=job.target_language,
                quality_level=job.quality_level.value,
                glossary=job.custom_glossary,
            )
            try:
                result = self.ports.translator.translate(request)
            except TranslationError as failure:
                tries += 1
                elapsed = int((time.monotonic() - began) * 1000)
                outcome = self._attempt_failed(
                    current, chunk, attempts, tries, failure, elapsed, deadline
                )
                if outcome is not None:
                    return outcome
                continue
            self.ports.assembler.store_section(job.job_id, chunk.chunk_index, result.text)
            self._report(
                job,
                chunk,
                C.COMPLETED,
                attempt=attempts,
                processing_time=int((time.monotonic() - began) * 1000),
                input_tokens=result.input_tokens,
                output_tokens=result.output_tokens,
                cost=result.cost,
                provider_request_id=result.provider_request_id,
            )
            return ChunkOutcome.COMPLETED

    def _attempt_failed(
        self,
        job: TranslationJobRecord,
        chunk: ChunkStatusRecord,
        attempt: int,
        tries: int,
        failure: TranslationError,
        elapsed_ms: int,
        deadline: float | None,
    ) -> ChunkOutcome | None:
        """Record a failed attempt; None means try the chunk again now (after the backoff)."""
        classification = classify_error(failure.code)
        error = ErrorInfo(
            code=failure.code,
            message=failure.message[:1000],
            retryable=classification.retryable,
            stage=S.TRANSLATING,
        )
        extra = {"job_id": job.job_id, "chunk_index": chunk.chunk_index, "error_code": failure.code}
        if not classification.retryable or (
            classification.category != ErrorCategory.RATE_LIMIT and tries >= job.max_chunk_attempts
        ):
            self._report(
                job, chunk, C.FAILED, attempt=attempt, error=error, processing_time=elapsed_ms
            )
            return ChunkOutcome.FAILED
        if classification.category == ErrorCategory.RATE_LIMIT:
            self._rate_limited(job, chunk, attempt, error)
            return ChunkOutcome.STOP
        assert classification.backoff is not None
        delay = self.settings.scaled(
            full_jitter_delay(tries - 1, classification.backoff, self._rng)
        )
        if deadline is not None:
            delay = min(delay, max(deadline - time.monotonic(), 0.0))
        next_retry = self._clock() + timedelta(seconds=delay)
        self._report(job, chunk, C.RETRYING, attempt=attempt, error=error, next_retry=next_retry)
        logger.warning("chunk attempt failed, retrying", extra={**extra, "delay": round(delay, 3)})
        self._sleep(delay)
        return None

    def _rate_limited(
        self, job: TranslationJobRecord, chunk: ChunkStatusRecord, attempt: int, error: ErrorInfo
    ) -> None:
        """Hold the chunk and the job until the provider's window is over, or ask for review."""
        history = self.manager.get_job_history(job.job_id)
        strategy = determine_recovery_strategy(
            classify_error(error.code),
            scope=ErrorScope.CHUNK,
            current_retries=retries_since_review(history, S.RATE_LIMITED),
            max_retries=job.max_retries,
            rng=self._rng,
        )
        delay = self.settings.scaled(strategy.delay_seconds)
        resume_at = self._clock() + timedelta(seconds=delay)
        self._report(job, chunk, C.RATE_LIMITED, attempt=attempt, error=error, next_retry=resume_at)
        if strategy.action == RecoveryActionKind.PAUSE_AND_REVIEW:
            self._pause_for_review(self.manager.require_job(job.job_id), error)
            return
        meta = {
            "resumeAt": format_timestamp(resume_at),
            "chunk": chunk.chunk_index,
        }
        logger.warning(
            "provider rate limit", extra={"job_id": job.job_id, "delay": round(delay, 3)}
        )
        current = self.manager.require_job(job.job_id)
        if current.status == S.TRANSLATING:
            self._move(current, S.RATE_LIMITED, "provider rate limit hit", meta, error)

    def _report(
        self,
        job: TranslationJobRecord,
        chunk: ChunkStatusRecord,
        status: ChunkStatus,
        **fields: Any,
    ) -> Any:
        update = ChunkStatusUpdate(status=status, **fields)
        return self.manager.update_chunk_status(
            job.job_id, keys.chunk_id(job.job_id, chunk.chunk_index), chunk.chunk_index, update
        )

    # ----------------------------------------------------------------------- helpers

    def _load(self, step: StepInput) -> tuple[TranslationJobRecord, StepResult | None]:
        job = self.manager.require_job(step.job_id)
        if _superseded(job, step.execution_id):
            logger.info(
                "execution superseded by a newer one",
                extra={"job_id": job.job_id, "execution": step.execution_id},
            )
            return job, StepResult(job_id=job.job_id, next=Outcome.SUPERSEDED, status=job.status)
        return job, None

    def _move(
        self,
        job: TranslationJobRecord,
        target: JobStatus,
        reason: str,
        metadata: dict[str, Any] | None = None,
        error: ErrorInfo | None = None,
    ) -> TranslationJobRecord:
        """Take one edge; if the job moved meanwhile (a cancel, a pause), return it as it is now."""
        context = StateTransitionContext(reason=reason, metadata=metadata, error=error)
        try:
            return self.manager.transition_job_state(job.job_id, job.status, target, context).job
        except StaleStateError:
            return self.manager.require_job(job.job_id)
        except IllegalTransitionError:
            current = self.manager.require_job(job.job_id)
            if current.status == job.status:
                raise
            return current

    def _progress(self, job: TranslationJobRecord, stage: JobStatus, value: float) -> None:
        self.manager.update_job_progress(
            job.job_id, JobProgressUpdate(stage=stage, stage_progress=value)
        )

    def _failed_chunks(self, job: TranslationJobRecord) -> list[ChunkStatusRecord]:
        if job.chunks_failed <= 0:
            return []
        chunks, _ = self.manager.query_chunks(job.job_id, status=C.FAILED)
        return chunks

    def _failed_indexes(self, job: TranslationJobRecord) -> list[int]:
        return [c.chunk_index for c in self._failed_chunks(job)]


def _settled(job: TranslationJobRecord) -> bool:
    return job.status in (S.COMPLETED, S.CANCELLED, S.FAILED)


def _superseded(job: TranslationJobRecord, execution_id: str) -> bool:
    owner = job.workflow_execution_arn
    return owner is not None and owner != execution_id


def _error_code(chunk: ChunkStatusRecord) -> str:
    return chunk.last_error.code if chunk.last_error else "UNKNOWN"


def _retryable(chunk: ChunkStatusRecord) -> bool:
    return classify_error(_error_code(chunk)).retryable
