"""TranslationJobService: the operations an owner, an operator or the frontend asks for."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from jobstate.config import Settings
from jobstate.errors import IllegalTransitionError, InvalidRequestError, JobNotFoundError
from jobstate.lifecycle.graph import allowed_targets, find_edge
from jobstate.lifecycle.states import ActorRole, ChunkStatus, JobStatus
from jobstate.models import (
    ChunkPage,
    CreateJobRequest,
    CreateJobResponse,
    JobDetailsResponse,
    JobHistoryItem,
    JobProgressResponse,
    StateTransitionContext,
    TranslationJobRecord,
    UserJobsRequest,
    UserJobsResponse,
    format_timestamp,
    utc_now,
)
from jobstate.service.aggregator import ChunkProgressAggregator
from jobstate.service.cursor import CursorCodec, InvalidCursorError
from jobstate.service.recovery import JobErrorRecovery
from jobstate.service.views import build_details, build_progress, chunk_summary, job_summary
from jobstate.store.manager import Clock, JobStateManager, TransitionResult
from jobstate.store.queue import JobQueue
from jobstate.store.schema import JOBS_BY_STATUS, JOBS_BY_USER

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

DETAILS_CHUNK_PAGE = 100


class TranslationJobService:
    def __init__(
        self,
        *,
        table_name: str | None = None,
        client: DynamoDBClient | None = None,
        settings: Settings | None = None,
        manager: JobStateManager | None = None,
        cursors: CursorCodec | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.manager = manager or JobStateManager(
            table_name=table_name, client=client, settings=settings, clock=clock
        )
        self.settings = self.manager.settings
        self.aggregator = ChunkProgressAggregator(manager=self.manager, clock=clock)
        self.recovery = JobErrorRecovery(manager=self.manager, clock=clock)
        self.cursors = cursors or CursorCodec()
        self._clock = clock

    # -------------------------------------------------------------------------- creation

    def create_job(
        self, request: CreateJobRequest, *, job_id: str | None = None
    ) -> CreateJobResponse:
        """Create a job; refuses a user past their active-job quota (QuotaExceededError).

        `job_id`, when given, is an id reserved beforehand (by an idempotency record).
        """
        request = CreateJobRequest.model_validate(request.model_dump())
        return self.manager.create_job(
            request,
            queue_ahead=self.queue_depth(),
            max_active_jobs=self.settings.max_active_jobs_per_user,
            job_id=job_id,
        )

    def queue_depth(self) -> int:
        """Jobs waiting in QUEUED: each one ahead adds to a new job's estimate."""
        return self.manager.count_index(
            JOBS_BY_STATUS.name, "GSI2PK = :pk", {":pk": f"STATUS#{JobStatus.QUEUED}"}
        )

    # --------------------------------------------------------------------------- reading

    def get_job(self, job_id: str, user_id: str | None = None) -> TranslationJobRecord:
        """The job, checked against `user_id` when given; another user's job is not found."""
        job = self.manager.require_job(job_id)
        if user_id is not None and job.user_id != user_id:
            raise JobNotFoundError(job_id)
        return job

    def get_job_details(self, job_id: str, user_id: str | None = None) -> JobDetailsResponse:
        job = self.get_job(job_id, user_id)
        page = self.list_chunks(job_id, limit=DETAILS_CHUNK_PAGE, job=job)
        return build_details(job, page.chunks, page.next_cursor, self._clock())

    def get_job_progress(self, job_id: str, user_id: str | None = None) -> JobProgressResponse:
        """One GetItem: the counters on the job item are the progress.

        A queued job also shows its queue position, which costs one COUNT query.
        """
        job = self.get_job(job_id, user_id)
        position = JobQueue(self.manager).position(job) if job.status == JobStatus.QUEUED else None
        return build_progress(job, self._clock(), position)

    def get_job_history(self, job_id: str, user_id: str | None = None) -> list[JobHistoryItem]:
        self.get_job(job_id, user_id)
        return self.manager.get_job_history(job_id)

    def list_chunks(
        self,
        job_id: str,
        *,
        status: ChunkStatus | None = None,
        limit: int = DETAILS_CHUNK_PAGE,
        cursor: str | None = None,
        user_id: str | None = None,
        job: TranslationJobRecord | None = None,
    ) -> ChunkPage:
        job = job or self.get_job(job_id, user_id)
        scope = f"chunks:{job_id}:{status or ''}"
        start_after = None
        if cursor:
            start_after = int(self.cursors.decode(scope, cursor)["after"])
        chunks, last = self.manager.query_chunks(
            job_id, status=status, limit=limit, start_after=start_after
        )
        next_cursor = self.cursors.encode(scope, {"after": last}) if last is not None else None
        return ChunkPage(
            chunks=[chunk_summary(c) for c in chunks],
            next_cursor=next_cursor,
            has_more=next_cursor is not None,
        )

    def list_user_jobs(self, request: UserJobsRequest) -> UserJobsResponse:
        """A user's jobs newest first, filtered by status and creation date, in signed pages."""
        # The scope names the listing and its filters, so a cursor cannot move to another one.
        filters = request.model_dump(mode="json", include={"status", "start_date", "end_date"})
        scope = f"user-jobs:{request.user_id}:{json.dumps(filters, sort_keys=True)}"
        start_key = self.cursors.decode(scope, request.cursor)["key"] if request.cursor else None
        condition, values = self._user_range(request)
        names: dict[str, str] = {}
        filter_expression = None
        if request.status:
            names["#status"] = "status"
            placeholders = []
            for position, status in enumerate(request.status):
                values[f":s{position}"] = status.value
                placeholders.append(f":s{position}")
            filter_expression = f"#status IN ({', '.join(placeholders)})"
        jobs: list[TranslationJobRecord] = []
        last_key: dict[str, Any] | None = None
        has_more = False
        try:
            results = self.manager.query_index(
                JOBS_BY_USER.name,
                condition,
                dict(values),
                names=names,
                filter_expression=filter_expression,
                forward=False,
                start_key=start_key,
            )
            for job, raw in results:
                if len(jobs) == request.limit:
                    has_more = True
                    break
                jobs.append(job)
                last_key = {k: raw[k] for k in ("PK", "SK", "GSI1PK", "GSI1SK")}
        except InvalidRequestError as error:
            raise InvalidCursorError("cursor is not valid") from error
        total = self.manager.count_index(
            JOBS_BY_USER.name, condition, values, names=names, filter_expression=filter_expression
        )
        next_cursor = self.cursors.encode(scope, {"key": last_key}) if has_more else None
        return UserJobsResponse(
            jobs=[job_summary(j) for j in jobs],
            total_count=total,
            next_cursor=next_cursor,
            has_more=has_more,
        )

    @staticmethod
    def _user_range(request: UserJobsRequest) -> tuple[str, dict[str, Any]]:
        values: dict[str, Any] = {":pk": f"USER#{request.user_id}"}
        lower = "CREATED#" + (format_timestamp(request.start_date) if request.start_date else "")
        upper = "CREATED#" + (format_timestamp(request.end_date) if request.end_date else "") + "~"
        values[":lower"], values[":upper"] = lower, upper
        return "GSI1PK = :pk AND GSI1SK BETWEEN :lower AND :upper", values

    # ------------------------------------------------------------------------ control

    def pause_job(self, job_id: str, user_id: str, *, operator: bool = False) -> TransitionResult:
        return self._request(job_id, user_id, JobStatus.PAUSED, "pause requested", operator)

    def resume_job(self, job_id: str, user_id: str, *, operator: bool = False) -> TransitionResult:
        return self._request(job_id, user_id, JobStatus.RESUMING, "resume requested", operator)

    def cancel_job(self, job_id: str, user_id: str, *, operator: bool = False) -> TransitionResult:
        return self._request(job_id, user_id, JobStatus.CANCELLED, "cancel requested", operator)

    def retry_failed_chunks(
        self, job_id: str, user_id: str, *, operator: bool = False
    ) -> TransitionResult:
        """Move a FAILED job to RETRYING; the workflow then re-runs only its failed chunks."""
        job = self.get_job(job_id, None if operator else user_id)
        if job.status != JobStatus.FAILED:
            raise IllegalTransitionError(
                job.status,
                JobStatus.RETRYING,
                allowed_targets(job.status, self._role(operator)),
                "only failed jobs are retried",
            )
        return self._request(job_id, user_id, JobStatus.RETRYING, "retry requested", operator)

    def set_job_status(
        self,
        job_id: str,
        target: JobStatus,
        *,
        actor: str,
        reason: str,
        metadata: dict[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> TransitionResult:
        """An operator's move along any edge of the graph (still only along the graph)."""
        job = self.get_job(job_id)
        context = StateTransitionContext(
            reason=reason,
            triggered_by=actor,
            role=ActorRole.OPERATOR,
            metadata=metadata,
            expected_version=expected_version,
        )
        return self.manager.transition_job_state(job_id, job.status, target, context)

    @staticmethod
    def _role(operator: bool) -> ActorRole:
        return ActorRole.OPERATOR if operator else ActorRole.OWNER

    def _request(
        self, job_id: str, user_id: str, target: JobStatus, reason: str, operator: bool
    ) -> TransitionResult:
        job = self.get_job(job_id, None if operator else user_id)
        role = self._role(operator)
        edge = find_edge(job.status, target)
        if edge is None or role not in edge.roles:
            if job.status == target:
                return TransitionResult(job, applied=False)
            raise IllegalTransitionError(job.status, target, allowed_targets(job.status, role))
        context = StateTransitionContext(reason=reason, triggered_by=user_id, role=role)
        return self.manager.transition_job_state(job_id, job.status, target, context)

    def active_jobs(self, user_id: str) -> int:
        return self.manager.active_job_count(user_id)
