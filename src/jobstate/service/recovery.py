"""JobErrorRecovery: classify an error and act on it from the state the job is actually in."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from jobstate.config import Settings
from jobstate.errors import IllegalTransitionError
from jobstate.lifecycle.graph import find_edge
from jobstate.lifecycle.recovery import (
    ErrorScope,
    RecoveryActionKind,
    classify_error,
    determine_recovery_strategy,
)
from jobstate.lifecycle.states import ChunkStatus, JobStatus
from jobstate.models import (
    ChunkStatusUpdate,
    ErrorInfo,
    StateTransitionContext,
    format_timestamp,
    utc_now,
)
from jobstate.observability import logger
from jobstate.store import keys
from jobstate.store.manager import Clock, JobStateManager

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class RecoveryAction:
    action: RecoveryActionKind
    message: str
    delay_seconds: float = 0.0
    next_attempt_at: str | None = None
    job_status: JobStatus | None = None
    retried_chunks: int = 0


class JobErrorRecovery:
    def __init__(
        self,
        *,
        table_name: str | None = None,
        client: DynamoDBClient | None = None,
        settings: Settings | None = None,
        manager: JobStateManager | None = None,
        clock: Clock = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        self.manager = manager or JobStateManager(
            table_name=table_name, client=client, settings=settings, clock=clock
        )
        self._clock = clock
        self._rng = rng or random.Random()

    def handle_job_error(
        self,
        job_id: str,
        error: ErrorInfo,
        *,
        scope: ErrorScope = ErrorScope.JOB,
        remaining_budget_seconds: float | None = None,
    ) -> RecoveryAction:
        """Decide and carry out the recovery for `error`, starting from the job's current state."""
        job = self.manager.require_job(job_id)
        classification = classify_error(error.code)
        strategy = determine_recovery_strategy(
            classification,
            scope=scope,
            current_retries=job.retry_count,
            max_retries=job.max_retries,
            rng=self._rng,
            remaining_budget_seconds=remaining_budget_seconds,
        )
        error = error.model_copy(
            update={"retryable": classification.retryable, "stage": job.work_stage}
        )
        action = strategy.action
        logger.warning(
            "recovering from error",
            extra={"job_id": job_id, "error_code": error.code, "action": action.value},
        )
        if action == RecoveryActionKind.RETRY_PARTIAL:
            count = self.retry_failed_chunks(job_id, reason=f"partial retry after {error.code}")
            return RecoveryAction(action, f"retrying {count} failed chunks", retried_chunks=count)
        if action in (RecoveryActionKind.RETRY_DELAYED, RecoveryActionKind.RETRY_IMMEDIATE):
            at = self._clock() + timedelta(seconds=strategy.delay_seconds)
            status = self._move(
                job.status,
                JobStatus.RETRYING,
                job_id,
                f"retrying after {error.code}",
                error,
                {
                    "retryDelaySeconds": round(strategy.delay_seconds, 3),
                    "nextAttemptAt": format_timestamp(at),
                },
            )
            return RecoveryAction(
                action,
                f"job will retry in {round(strategy.delay_seconds)} seconds",
                strategy.delay_seconds,
                format_timestamp(at),
                status,
            )
        if action in (RecoveryActionKind.PAUSE_AND_REVIEW, RecoveryActionKind.ESCALATE):
            meta = {
                "requiresReview": True,
                "pauseReason": error.code,
                "escalated": action == RecoveryActionKind.ESCALATE,
            }
            status = self._move(
                job.status,
                JobStatus.PAUSED,
                job_id,
                f"paused for review: {error.code}",
                error,
                meta,
            )
            logger.error("job paused for review", extra={"job_id": job_id, "error": error.code})
            return RecoveryAction(action, "job paused for manual review", job_status=status)
        status = self._move(
            job.status, JobStatus.FAILED, job_id, f"failed: {error.code}", error, None
        )
        logger.error("job failed", extra={"job_id": job_id, "error": error.code})
        return RecoveryAction(action, "job failed permanently", job_status=status)

    def _move(
        self,
        source: JobStatus,
        target: JobStatus,
        job_id: str,
        reason: str,
        error: ErrorInfo,
        metadata: dict[str, object] | None,
    ) -> JobStatus:
        if find_edge(source, target) is None:
            if target == JobStatus.PAUSED and find_edge(source, JobStatus.FAILED):
                target = JobStatus.FAILED  # the graph cannot pause from here; fail instead
            elif target == JobStatus.RETRYING and source == JobStatus.RETRYING:
                return source
            else:
                raise IllegalTransitionError(source, target, [], "no recovery edge")
        context = StateTransitionContext(reason=reason, metadata=metadata, error=error)
        return self.manager.transition_job_state(job_id, source, target, context).job.status

    def retry_failed_chunks(self, job_id: str, *, reason: str = "retry failed chunks") -> int:
        """Put every FAILED chunk back to PENDING, and a FAILED job back to TRANSLATING."""
        failed, _ = self.manager.query_chunks(job_id, status=ChunkStatus.FAILED)
        for chunk in failed:
            self.manager.update_chunk_status(
                job_id,
                keys.chunk_id(job_id, chunk.chunk_index),
                chunk.chunk_index,
                ChunkStatusUpdate(status=ChunkStatus.PENDING),
            )
        job = self.manager.require_job(job_id)
        if failed and job.status == JobStatus.FAILED:
            context = StateTransitionContext(reason=reason, metadata={"chunks": len(failed)})
            self.manager.transition_job_state(
                job_id, JobStatus.FAILED, JobStatus.TRANSLATING, context
            )
        return len(failed)
