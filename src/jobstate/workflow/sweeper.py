"""The stall sweeper: finds active jobs idle for longer than their state allows and restarts them.

A stalled job in a restartable stage moves to RECOVERING and a new execution restarts it from
that stage (the execution's first task routes from wherever the job stands); after the job's
retry budget of recoveries it fails instead. Other active states only need a new execution.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from pydantic import Field

from jobstate.errors import IllegalTransitionError, StaleStateError
from jobstate.lifecycle.graph import RESTARTABLE_STAGES
from jobstate.lifecycle.states import JobStatus
from jobstate.models import ErrorInfo, StateTransitionContext, TranslationJobRecord, utc_now
from jobstate.models.base import ApiModel
from jobstate.observability import logger
from jobstate.store.manager import Clock, JobStateManager
from jobstate.store.queue import JobQueue
from jobstate.workflow.policy import STALL_AFTER_SECONDS, recoveries
from jobstate.workflow.settings import WorkflowSettings

# A rate-limited job is stalled only once its window is this long over.
RATE_LIMIT_GRACE_SECONDS = 300.0
SWEEP_PAGE = 100


class WorkflowStarter(Protocol):
    def start_execution(self, job_id: str, reason: str) -> str:
        """Start a new execution for the job; returns its id."""
        ...


class SweepReport(ApiModel):
    recovered: list[str] = Field(default_factory=list)
    restarted: list[str] = Field(default_factory=list)
    failed: list[str] = Field(default_factory=list)


class StallSweeper:
    def __init__(
        self,
        *,
        manager: JobStateManager,
        starter: WorkflowStarter,
        settings: WorkflowSettings | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.manager = manager
        self.starter = starter
        self.settings = settings or WorkflowSettings.from_env()
        self.queue = JobQueue(manager)
        self._clock = clock

    def sweep(self) -> SweepReport:
        report = SweepReport()
        now = self._clock()
        for status, allowance in STALL_AFTER_SECONDS.items():
            idle_since = now - timedelta(seconds=self.settings.scaled(allowance))
            for job in self.queue.stale_jobs(status, idle_since, SWEEP_PAGE):
                try:
                    self._recover(job, report)
                except (StaleStateError, IllegalTransitionError):
                    continue  # the job moved since the index was read: it is not stalled
        return report

    def _recover(self, job: TranslationJobRecord, report: SweepReport) -> None:
        if job.status == JobStatus.RATE_LIMITED and job.rate_limited_until is not None:
            grace = timedelta(seconds=self.settings.scaled(RATE_LIMIT_GRACE_SECONDS))
            if self._clock() < job.rate_limited_until + grace:
                return
        idle = round((self._clock() - job.last_activity_at).total_seconds(), 3)
        extra = {"job_id": job.job_id, "status": job.status.value, "idle_seconds": idle}
        if job.status == JobStatus.QUEUED:
            # Waiting in a long queue writes nothing, so idleness is no fault of the job: give
            # it a live execution without spending its retry budget.
            report.restarted.append(job.job_id)
            self.starter.start_execution(job.job_id, "requeue")
            return
        if recoveries(self.manager.get_job_history(job.job_id)) >= job.max_retries:
            error = ErrorInfo(code="STALLED", message=f"no activity in {job.status} for {idle}s")
            context = StateTransitionContext(
                reason="stalled past the retry budget", triggered_by="sweeper", error=error
            )
            self.manager.transition_job_state(job.job_id, job.status, JobStatus.FAILED, context)
            logger.error("stalled job failed", extra=extra)
            report.failed.append(job.job_id)
            return
        if job.status in RESTARTABLE_STAGES:
            context = StateTransitionContext(
                reason="stall detected", triggered_by="sweeper", metadata={"idleSeconds": idle}
            )
            self.manager.transition_job_state(job.job_id, job.status, JobStatus.RECOVERING, context)
            report.recovered.append(job.job_id)
        else:
            report.restarted.append(job.job_id)
        logger.warning("stalled job restarted", extra=extra)
        self.starter.start_execution(job.job_id, "recovery")
