"""JobStateManager: every write to the jobs table, each one conditional and exactly-once.

- A transition is one transaction: the job item (guarded by its status and version) and its
  history item. There is no history without the change and no change without history.
- A chunk report is one transaction: the chunk item (guarded by the state the change was
  planned from) and the job's counters. Replays and duplicates find the guard changed and
  change nothing. The report that completes the last chunk, or fails one chunk too many, carries
  the job's transition in the same transaction, so it happens exactly once.
"""

from __future__ import annotations

import base64
import math
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from jobstate.config import Settings
from jobstate.errors import (
    ChunkNotFoundError,
    ChunksAlreadyRegisteredError,
    IllegalTransitionError,
    InvalidRequestError,
    JobNotFoundError,
    QuotaExceededError,
    StaleStateError,
)
from jobstate.lifecycle.chunks import ChunkChange, ChunkReport, ChunkState, plan_chunk_change
from jobstate.lifecycle.estimates import JobEstimate, estimate_job
from jobstate.lifecycle.graph import (
    WORK_STAGES,
    allowed_targets,
    find_edge,
    is_active,
)
from jobstate.lifecycle.states import ActorRole, ChunkStatus, JobStatus
from jobstate.models import (
    ChunkSpec,
    ChunkStatusRecord,
    ChunkStatusUpdate,
    CreateJobRequest,
    CreateJobResponse,
    JobHistoryItem,
    JobProgressUpdate,
    StageTiming,
    StateTransitionContext,
    TranslationJobRecord,
    format_timestamp,
    utc_now,
)
from jobstate.observability import logger
from jobstate.store import keys
from jobstate.store.client import call_with_retry, make_client
from jobstate.store.codec import UpdateBuilder, from_item, to_item
from jobstate.store.hydrate import fetch_jobs

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


BATCH_WRITE_LIMIT = 25
TRANSACTION_ATTEMPTS = 50
CHUNK_CACHE_SIZE = 50_000
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class TransitionResult:
    job: TranslationJobRecord
    applied: bool  # False when the same transition had already been made (a replay)


@dataclass(frozen=True)
class ChunkUpdateResult:
    applied: bool
    chunk: ChunkState
    job_transition: JobStatus | None = None


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    last_key: dict[str, Any] | None


def new_job_id() -> str:
    """120 random bits in base32: unguessable, URL-safe, and never sequential."""
    raw = base64.b32encode(secrets.token_bytes(15)).decode("ascii")
    return f"JOB_{raw}"


def _cancellation(error: ClientError) -> list[dict[str, Any]] | None:
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return None
    reasons: list[dict[str, Any]] = [
        dict(r) for r in error.response.get("CancellationReasons") or []
    ]
    return reasons


def _failed(reason: dict[str, Any]) -> bool:
    return bool(reason.get("Code") == "ConditionalCheckFailed")


class _ChunkCache:
    """Last known guard state per chunk: a hint that saves a read, never trusted for safety."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[tuple[str, int], ChunkState] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int]) -> ChunkState | None:
        with self._lock:
            return self._data.get(key)

    def put(self, key: tuple[str, int], state: ChunkState) -> None:
        with self._lock:
            self._data[key] = state
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)


class JobStateManager:
    """Reads and conditional writes of job, chunk and history items."""

    def __init__(
        self,
        *,
        table_name: str | None = None,
        client: DynamoDBClient | None = None,
        settings: Settings | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self.table = table_name or self.settings.table_name
        self._client = client
        self._clock = clock
        self._chunks = _ChunkCache(CHUNK_CACHE_SIZE)

    @property
    def client(self) -> DynamoDBClient:
        # Built on first use, not at import or construction, so handlers stay cheap to load.
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    # ----------------------------------------------------------------------------- jobs

    def create_job(
        self,
        request: CreateJobRequest,
        *,
        queue_ahead: int = 0,
        max_active_jobs: int | None = None,
        job_id: str | None = None,
    ) -> CreateJobResponse:
        """Create a job in CREATED with its first history item, counting it against the quota."""
        if request.user_id is None:
            raise InvalidRequestError("userId is required")
        now = self._clock()
        estimate = estimate_job(
            request.document_metadata.word_count, request.options.quality_level, queue_ahead, now
        )
        record = self._new_record(job_id or new_job_id(), request, estimate, now)
        history = self._history(record, None, JobStatus.CREATED, now, "job created", None)
        token = secrets.token_hex(8)
        item = {**self._job_attributes(record), "creationToken": token}
        quota = UpdateBuilder().add("activeJobs", 1)
        if max_active_jobs is not None:
            quota.condition(
                "attribute_not_exists(#activeJobs) OR #activeJobs < :limit", limit=max_active_jobs
            )
        transaction: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(item),
                    "ConditionExpression": "attribute_not_exists(PK)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            {"Put": self._history_put(history)},
            {"Update": quota.update_request(self.table, keys.quota_key(request.user_id))},
        ]
        try:
            self._transact(transaction)
        except ClientError as error:
            reasons = _cancellation(error)
            if reasons is None:
                raise
            existing = reasons[0].get("Item")
            if (
                _failed(reasons[0])
                and existing
                and from_item(existing).get("creationToken") == token
            ):
                pass  # our own write, whose reply was lost and which botocore sent again
            elif len(reasons) > 2 and _failed(reasons[2]):
                raise QuotaExceededError(request.user_id, max_active_jobs or 0) from error
            else:
                raise
        logger.info("job created", extra={"job_id": record.job_id, "status": "CREATED"})
        return CreateJobResponse(
            job_id=record.job_id,
            status=record.status,
            estimated_completion=estimate.completion,
            estimated_cost=estimate.cost,
            chunk_count=estimate.chunks,
            progress_tracking_url=f"/jobs/{record.job_id}/progress",
        )

    def _new_record(
        self, job_id: str, request: CreateJobRequest, estimate: JobEstimate, now: datetime
    ) -> TranslationJobRecord:
        options = request.options
        assert request.user_id is not None
        return TranslationJobRecord(
            job_id=job_id,
            user_id=request.user_id,
            document_id=request.document_id,
            filename=request.filename,
            target_language=request.target_language,
            status=JobStatus.CREATED,
            created_at=now,
            updated_at=now,
            last_activity_at=now,
            stage_timings={JobStatus.CREATED.value: StageTiming(started_at=now)},
            estimated_chunks=estimate.chunks,
            total_chunks=estimate.chunks,
            estimated_cost=estimate.cost,
            estimated_duration=estimate.duration_seconds,
            estimated_completion=estimate.completion,
            priority=request.priority,
            max_retries=self.settings.max_job_retries,
            max_chunk_attempts=self.settings.max_chunk_attempts,
            word_count=request.document_metadata.word_count,
            file_size=request.document_metadata.file_size,
            content_hash=request.document_metadata.content_hash,
            preserve_formatting=options.preserve_formatting,
            custom_glossary=options.custom_glossary,
            quality_level=options.quality_level,
        )

    def _job_attributes(self, record: TranslationJobRecord) -> dict[str, Any]:
        created = format_timestamp(record.created_at)
        return {
            **keys.job_key(record.job_id),
            **record.model_dump(by_alias=True, mode="json", exclude_none=True),
            **keys.user_index_keys(record.user_id, created, record.job_id),
            **keys.status_index_keys(record.status, record.priority, created, record.job_id),
            **keys.document_index_keys(record.document_id, created, record.job_id),
        }

    def get_job(self, job_id: str) -> TranslationJobRecord | None:
        """The job as last committed (a strongly consistent read), or None."""
        response = call_with_retry(
            lambda: self.client.get_item(
                TableName=self.table, Key=to_item(keys.job_key(job_id)), ConsistentRead=True
            )
        )
        item = response.get("Item")
        return TranslationJobRecord.model_validate(from_item(item)) if item else None

    def require_job(self, job_id: str) -> TranslationJobRecord:
        job = self.get_job(job_id)
        if job is None:
            raise JobNotFoundError(job_id)
        return job

    # ----------------------------------------------------------------------- transitions

    def transition_job_state(
        self,
        job_id: str,
        from_state: JobStatus,
        to_state: JobStatus,
        context: StateTransitionContext,
    ) -> TransitionResult:
        """Move a job along one edge of the graph, exactly once.

        Raises IllegalTransitionError when the edge does not exist or is closed to the caller's
        role, StaleStateError when the job is not in `from_state` (or not at the expected
        version), JobNotFoundError when there is no such job. Repeating a transition that was
        already made returns `applied=False` instead of failing.
        """
        edge = find_edge(from_state, to_state)
        if edge is None or context.role not in edge.roles:
            why = "" if edge is None else f"not open to {context.role.value.lower()}"
            raise IllegalTransitionError(
                from_state, to_state, allowed_targets(from_state, context.role), why
            )
        for _ in range(TRANSACTION_ATTEMPTS):
            job = self.require_job(job_id)
            if job.status != from_state:
                if job.status == to_state and job.previous_status == from_state:
                    return TransitionResult(job, applied=False)
                raise StaleStateError(job_id, from_state, job.status, job.version)
            if context.expected_version is not None and context.expected_version != job.version:
                raise StaleStateError(job_id, from_state, job.status, job.version)
            builder = UpdateBuilder()
            history, extra = self._transition_parts(builder, job, to_state, context)
            builder.add("version", 1).condition(
                "#status = :from AND #version = :version",
                version=job.version,
                **{"from": from_state},
            )
            transaction = [
                {"Update": builder.update_request(self.table, keys.job_key(job_id))},
                {"Put": self._history_put(history)},
                *extra,
            ]
            try:
                self._transact(transaction)
            except ClientError as error:
                reasons = _cancellation(error)
                if reasons is None or not _failed(reasons[0]):
                    raise
                continue  # the job changed under us (a chunk report bumps the version): reread
            self._log_transition(job, to_state, context)
            return TransitionResult(self.require_job(job_id), applied=True)
        raise StaleStateError(job_id, from_state, from_state, -1)

    def _transition_parts(
        self,
        builder: UpdateBuilder,
        job: TranslationJobRecord,
        to_state: JobStatus,
        context: StateTransitionContext,
    ) -> tuple[JobHistoryItem, list[dict[str, Any]]]:
        """Add a transition's job changes to `builder`; return its history item and extras."""
        now = self._clock()
        floor = job.overall_progress()
        timings = dict(job.stage_timings)
        previous = timings.get(job.status.value, StageTiming())
        timings[job.status.value] = StageTiming(started_at=previous.started_at, ended_at=now)
        timings[to_state.value] = StageTiming(
            started_at=timings.get(to_state.value, StageTiming()).started_at or now
        )
        created = format_timestamp(job.created_at)
        index_keys = keys.status_index_keys(to_state, job.priority, created, job.job_id)
        builder.set("status", to_state).set("previousStatus", job.status)
        builder.set("progressFloor", floor).set("updatedAt", format_timestamp(now))
        builder.set("lastActivityAt", format_timestamp(now))
        builder.set("stageTimings", {k: v.to_json_dict() for k, v in timings.items()})
        for name, value in index_keys.items():
            builder.set(name, value)
        if to_state in WORK_STAGES:
            builder.set("workStage", to_state).set("stageProgress", 0.0)
        if to_state == JobStatus.TRANSLATING:
            builder.set_if_absent("startedAt", format_timestamp(now))
        if to_state == JobStatus.RATE_LIMITED:
            resume = (context.metadata or {}).get("resumeAt")
            builder.set("rateLimitedUntil", resume)
        elif job.status == JobStatus.RATE_LIMITED:
            builder.remove("rateLimitedUntil")
        if to_state == JobStatus.PAUSED:
            builder.set("requiresReview", bool((context.metadata or {}).get("requiresReview")))
        elif job.status == JobStatus.PAUSED:
            builder.set("requiresReview", False)
        if to_state == JobStatus.RETRYING:
            builder.add("retryCount", 1)
        if context.error is not None:
            builder.set("lastError", context.error.to_json_dict())
        if to_state in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED):
            builder.set("completedAt", format_timestamp(now))
            builder.set("actualDuration", round((now - job.created_at).total_seconds(), 3))
            if self.settings.history_retention_days:
                expires = now + timedelta(days=self.settings.history_retention_days)
                builder.set("ttl", int(expires.timestamp()))
        history = self._history(job, job.status, to_state, now, context.reason, context)
        extra: list[dict[str, Any]] = []
        if is_active(job.status) != is_active(to_state):
            quota = UpdateBuilder().add("activeJobs", 1 if is_active(to_state) else -1)
            extra.append({"Update": quota.update_request(self.table, keys.quota_key(job.user_id))})
        return history, extra

    def _history(
        self,
        job: TranslationJobRecord,
        source: JobStatus | None,
        target: JobStatus,
        at: datetime,
        reason: str,
        context: StateTransitionContext | None,
    ) -> JobHistoryItem:
        version = job.version + (1 if source is not None else 0)
        return JobHistoryItem(
            job_id=job.job_id,
            version=version,
            user_id=job.user_id,
            from_state=source,
            to_state=target,
            at=at,
            actor=context.triggered_by if context else job.user_id,
            role=context.role if context else ActorRole.OWNER,
            reason=reason,
            metadata=context.metadata if context else None,
        )

    def _history_put(self, history: JobHistoryItem) -> dict[str, Any]:
        item = {
            "PK": keys.job_pk(history.job_id),
            "SK": keys.history_sk(history.version),
            "kind": "HISTORY",
            **history.model_dump(by_alias=True, mode="json", exclude_none=True),
        }
        return {
            "TableName": self.table,
            "Item": to_item(item),
            "ConditionExpression": "attribute_not_exists(PK)",
        }

    def _log_transition(
        self, job: TranslationJobRecord, to_state: JobStatus, context: StateTransitionContext
    ) -> None:
        logger.info(
            "job state changed",
            extra={
                "job_id": job.job_id,
                "from_state": job.status.value,
                "to_state": to_state.value,
                "actor": context.triggered_by,
                "reason": context.reason,
            },
        )

    def update_job_progress(self, job_id: str, update: JobProgressUpdate) -> bool:
        """Record progress within a stage. Returns False for a stale or backward report."""
        now = format_timestamp(self._clock())
        builder = UpdateBuilder()
        builder.set("stageProgress", update.stage_progress).set("lastActivityAt", now)
        builder.set("updatedAt", now).add("version", 1)
        builder.condition(
            "#status = :stage AND #stageProgress < :progress",
            stage=update.stage,
            progress=update.stage_progress,
        )
        request = builder.update_request(self.table, keys.job_key(job_id))
        request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        try:
            call_with_retry(lambda: self.client.update_item(**request))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            if not error.response.get("Item"):
                raise JobNotFoundError(job_id) from error
            return False
        return True

    def set_workflow_execution(self, job_id: str, execution_arn: str) -> None:
        builder = UpdateBuilder().set("workflowExecutionArn", execution_arn).add("version", 1)
        builder.condition("attribute_exists(PK)")
        request = builder.update_request(self.table, keys.job_key(job_id))
        try:
            call_with_retry(lambda: self.client.update_item(**request))
        except self.client.exceptions.ConditionalCheckFailedException as error:
            raise JobNotFoundError(job_id) from error

    # ---------------------------------------------------------------------------- chunks

    def register_chunks(self, job_id: str, chunks: list[ChunkSpec]) -> TranslationJobRecord:
        """Write the chunking stage's output: one item per chunk, then the job's counters.

        Idempotent: registering the same number of chunks again returns the job unchanged.
        """
        indexes = sorted(c.index for c in chunks)
        if not chunks or indexes != list(range(len(chunks))):
            raise InvalidRequestError("chunks must be numbered 0 to n-1, each exactly once")
        job = self.require_job(job_id)
        if job.chunks_registered:
            if job.total_chunks == len(chunks):
                return job
            raise ChunksAlreadyRegisteredError(
                f"job {job_id} already has {job.total_chunks} chunks"
            )
        if job.status != JobStatus.CHUNKING:
            raise StaleStateError(job_id, JobStatus.CHUNKING, job.status, job.version)

        now = format_timestamp(self._clock())
        self._batch_put(self._chunk_item(job_id, spec, now) for spec in chunks)

        total = len(chunks)
        builder = UpdateBuilder()
        builder.set("totalChunks", total).set("chunksRegistered", True)
        builder.set("chunksPending", total).set("chunksOutstanding", total)
        builder.set("failureBudget", math.floor(self.settings.failure_threshold * total))
        builder.set("lastActivityAt", now).set("updatedAt", now).add("version", 1)
        builder.condition(
            "#status = :chunking AND #chunksRegistered = :no", chunking=JobStatus.CHUNKING, no=False
        )
        request = builder.update_request(self.table, keys.job_key(job_id))
        try:
            call_with_retry(lambda: self.client.update_item(**request))
        except self.client.exceptions.ConditionalCheckFailedException:
            current = self.require_job(job_id)
            if not (current.chunks_registered and current.total_chunks == total):
                raise StaleStateError(
                    job_id, JobStatus.CHUNKING, current.status, current.version
                ) from None
            return current
        for spec in chunks:
            self._chunks.put((job_id, spec.index), ChunkState())
        return self.require_job(job_id)

    def _chunk_item(self, job_id: str, spec: ChunkSpec, now: str) -> dict[str, Any]:
        record = ChunkStatusRecord(
            job_id=job_id,
            chunk_id=keys.chunk_id(job_id, spec.index),
            chunk_index=spec.index,
            token_count=spec.token_count,
        )
        return {
            "PK": keys.job_pk(job_id),
            "SK": keys.chunk_sk(spec.index),
            "kind": "CHUNK",
            **record.model_dump(by_alias=True, mode="json", exclude_none=True),
            "updatedAt": now,
        }

    def _batch_put(self, items: Iterator[dict[str, Any]]) -> None:
        batch: list[dict[str, Any]] = []
        for item in items:
            batch.append({"PutRequest": {"Item": to_item(item)}})
            if len(batch) == BATCH_WRITE_LIMIT:
                self._write_batch(batch)
                batch = []
        if batch:
            self._write_batch(batch)

    def _write_batch(self, batch: list[dict[str, Any]]) -> None:
        pending: Any = {self.table: batch}
        for attempt in range(TRANSACTION_ATTEMPTS):
            request: Any = pending
            response = call_with_retry(partial(self.client.batch_write_item, RequestItems=request))
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return
            time.sleep(min(1.0, 0.02 * 2**attempt) * secrets.SystemRandom().random())
        raise StaleStateError("batch", JobStatus.CHUNKING, JobStatus.CHUNKING, -1)

    def update_chunk_status(
        self, job_id: str, chunk_id: str, chunk_index: int, update: ChunkStatusUpdate
    ) -> ChunkUpdateResult:
        """Apply one chunk report exactly once; see the module docstring for how."""
        if chunk_id != keys.chunk_id(job_id, chunk_index):
            raise InvalidRequestError(f"chunk id {chunk_id} does not name chunk {chunk_index}")
        cache_key = (job_id, chunk_index)
        assumed = self._chunks.get(cache_key) or ChunkState()
        report = ChunkReport(update.status, update.progress, update.attempt)
        job_snapshot: TranslationJobRecord | None = None
        for _ in range(TRANSACTION_ATTEMPTS):
            change = plan_chunk_change(assumed, report)
            if change is None:
                self._chunks.put(cache_key, assumed)
                return ChunkUpdateResult(applied=False, chunk=assumed)
            transaction, transition = self._chunk_transaction(
                job_id, chunk_index, change, update, job_snapshot
            )
            try:
                self._transact(transaction)
            except ClientError as error:
                reasons = _cancellation(error)
                if reasons is None:
                    raise
                chunk_reason, job_reason = reasons[0], reasons[1]
                if _failed(chunk_reason):
                    item = chunk_reason.get("Item")
                    if not item:
                        raise ChunkNotFoundError(job_id, chunk_index) from error
                    assumed = self._chunk_state(from_item(item))
                if _failed(job_reason):
                    item = job_reason.get("Item")
                    if not item:
                        raise JobNotFoundError(job_id) from error
                    job_snapshot = TranslationJobRecord.model_validate(from_item(item))
                if not (_failed(chunk_reason) or _failed(job_reason)):
                    raise
                continue
            self._chunks.put(cache_key, change.after)
            self._log_chunk(job_id, chunk_index, change, transition)
            return ChunkUpdateResult(applied=True, chunk=change.after, job_transition=transition)
        raise StaleStateError(job_id, JobStatus.TRANSLATING, JobStatus.TRANSLATING, -1)

    @staticmethod
    def _chunk_state(item: dict[str, Any]) -> ChunkState:
        return ChunkState(
            ChunkStatus(item.get("status", ChunkStatus.PENDING)),
            float(item.get("progress", 0.0)),
            int(item.get("attempts", 0)),
        )

    def _chunk_transaction(
        self,
        job_id: str,
        index: int,
        change: ChunkChange,
        update: ChunkStatusUpdate,
        job: TranslationJobRecord | None,
    ) -> tuple[list[dict[str, Any]], JobStatus | None]:
        now = self._clock()
        stamp = format_timestamp(now)
        before, after = change.before, change.after

        chunk = UpdateBuilder()
        chunk.set("status", after.status).set("progress", after.progress)
        chunk.set("attempts", after.attempts).set("retryCount", max(after.attempts - 1, 0))
        chunk.set("updatedAt", stamp)
        if change.starts_attempt:
            chunk.set("lastAttempt", stamp).set_if_absent("translationStarted", stamp)
        if after.status == ChunkStatus.COMPLETED:
            chunk.set("translationCompleted", stamp)
        if update.processing_time is not None and change.is_outcome:
            chunk.set("processingTime", update.processing_time)
        if update.error is not None:
            error = update.error.model_copy(update={"timestamp": update.error.timestamp or now})
            chunk.set("lastError", error.to_json_dict())
        if update.next_retry is not None:
            chunk.set("nextRetry", format_timestamp(update.next_retry))
        if update.provider_request_id:
            chunk.set("providerRequestId", update.provider_request_id)
        chunk.condition(
            "#status = :old_status AND #progress = :old_progress AND #attempts = :old_attempts",
            old_status=before.status,
            old_progress=before.progress,
            old_attempts=before.attempts,
        )

        counters = UpdateBuilder()
        for name, delta in change.counter_deltas.items():
            counters.add(name, delta)
        if change.is_outcome:
            counters.add("inputTokens", update.input_tokens or 0)
            counters.add("outputTokens", update.output_tokens or 0)
            counters.add("actualCost", update.cost or 0.0)
            chunk.add("inputTokens", update.input_tokens or 0)
            chunk.add("outputTokens", update.output_tokens or 0)
            chunk.add("cost", update.cost or 0.0)
            if after.status == ChunkStatus.COMPLETED:
                counters.add("chunkTimeTotalMs", update.processing_time or 0)
        counters.set("lastActivityAt", stamp).set("updatedAt", stamp).add("version", 1)

        transition: JobStatus | None = None
        extra: list[dict[str, Any]] = []
        decisive = job is not None and (
            (change.completes and job.chunks_outstanding <= 1)
            or (change.fails and job.failure_budget <= 0)
        )
        if job is not None and decisive:
            # This report settles the job: decide from the snapshot, guarded by its version.
            counters.condition("#version = :version", version=job.version)
            transition = self._settling_transition(job, change)
            if transition is not None:
                reason = (
                    "every chunk completed"
                    if transition == JobStatus.ASSEMBLING
                    else "failed chunks passed the failure threshold"
                )
                failing_error = update.error if transition == JobStatus.FAILED else None
                context = StateTransitionContext(
                    reason=reason, metadata=self._chunk_meta(job), error=failing_error
                )
                history, extra = self._transition_parts(counters, job, transition, context)
                extra = [{"Put": self._history_put(history)}, *extra]
        elif change.completes:
            counters.condition("#chunksOutstanding > :one", one=1)
        elif change.fails:
            counters.condition("#failureBudget > :zero", zero=0)
        else:
            counters.condition("attribute_exists(PK)")

        chunk_request = chunk.update_request(
            self.table, {"PK": keys.job_pk(job_id), "SK": keys.chunk_sk(index)}
        )
        chunk_request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        job_request = counters.update_request(self.table, keys.job_key(job_id))
        job_request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return [{"Update": chunk_request}, {"Update": job_request}, *extra], transition

    def _settling_transition(
        self, job: TranslationJobRecord, change: ChunkChange
    ) -> JobStatus | None:
        if change.completes:
            done = job.chunks_failed == 0 and job.status == JobStatus.TRANSLATING
            return JobStatus.ASSEMBLING if done else None
        # A paused or cancelled job only records the result; resuming it re-checks the counters.
        if job.status in (JobStatus.TRANSLATING, JobStatus.RATE_LIMITED):
            return JobStatus.FAILED
        return None

    @staticmethod
    def _chunk_meta(job: TranslationJobRecord) -> dict[str, Any]:
        return {"totalChunks": job.total_chunks, "chunksFailed": job.chunks_failed + 1}

    def _log_chunk(
        self, job_id: str, index: int, change: ChunkChange, transition: JobStatus | None
    ) -> None:
        extra = {
            "job_id": job_id,
            "chunk_index": index,
            "from_status": change.before.status.value,
            "to_status": change.after.status.value,
        }
        if transition is not None:
            logger.info(
                "job state changed by chunk report", extra={**extra, "to_state": transition}
            )
        elif change.after.status == ChunkStatus.FAILED:
            logger.warning("chunk failed", extra=extra)
        else:
            logger.debug("chunk updated", extra=extra)

    def get_chunk(self, job_id: str, chunk_index: int) -> ChunkStatusRecord | None:
        response = call_with_retry(
            lambda: self.client.get_item(
                TableName=self.table,
                Key=to_item({"PK": keys.job_pk(job_id), "SK": keys.chunk_sk(chunk_index)}),
                ConsistentRead=True,
            )
        )
        item = response.get("Item")
        return ChunkStatusRecord.model_validate(from_item(item)) if item else None

    def query_chunks(
        self,
        job_id: str,
        *,
        status: ChunkStatus | None = None,
        limit: int | None = None,
        start_after: int | None = None,
    ) -> tuple[list[ChunkStatusRecord], int | None]:
        """Chunks in index order, and the index to continue after when there are more."""
        lower = keys.chunk_sk(start_after + 1) if start_after is not None else keys.CHUNK_PREFIX
        values: dict[str, Any] = {
            ":pk": keys.job_pk(job_id),
            ":lower": lower,
            ":upper": keys.CHUNK_PREFIX + "~",
        }
        names: dict[str, str] = {}
        filter_expression = None
        if status is not None:
            filter_expression = "#status = :status"
            names["#status"] = "status"
            values[":status"] = status.value
        condition = "PK = :pk AND SK BETWEEN :lower AND :upper"
        records: list[ChunkStatusRecord] = []
        # One record past the page tells whether there is a next page.
        for item in self._query(condition, values, names, filter_expression):
            records.append(ChunkStatusRecord.model_validate(item))
            if limit is not None and len(records) > limit:
                return records[:limit], records[limit - 1].chunk_index
        return records, None

    def _query(self, *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """The items of a paged Query (see `_query_pages`), each with its raw key."""
        for page in self._query_pages(*args, **kwargs):
            for item in page:
                yield {"__key__": item, **from_item(item)}

    def _query_pages(
        self,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str],
        filter_expression: str | None = None,
        *,
        index: str | None = None,
        forward: bool = True,
        start_key: dict[str, Any] | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """The raw items of a paged Query, one list per page."""
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": to_item(values),
            "ScanIndexForward": forward,
        }
        if names:
            request["ExpressionAttributeNames"] = names
        if filter_expression:
            request["FilterExpression"] = filter_expression
        if index:
            request["IndexName"] = index
        else:
            request["ConsistentRead"] = True
        if start_key:
            request["ExclusiveStartKey"] = start_key
        while True:
            try:
                response = call_with_retry(lambda: self.client.query(**request))
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code")
                if start_key is not None and code == "ValidationException":
                    raise InvalidRequestError("the listing cannot resume from there") from error
                raise
            yield list(response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            request["ExclusiveStartKey"] = last

    def get_job_history(self, job_id: str) -> list[JobHistoryItem]:
        values = {":pk": keys.job_pk(job_id), ":prefix": keys.HISTORY_PREFIX}
        items = self._query("PK = :pk AND begins_with(SK, :prefix)", values, {})
        return [JobHistoryItem.model_validate(item) for item in items]

    # ---------------------------------------------------------------------------- indexes

    def query_index(
        self,
        index: str,
        condition: str,
        values: dict[str, Any],
        *,
        names: dict[str, str] | None = None,
        filter_expression: str | None = None,
        forward: bool = True,
        start_key: dict[str, Any] | None = None,
    ) -> Iterator[tuple[TranslationJobRecord, dict[str, Any]]]:
        """Job records found through a GSI, each with its raw index key (for cursors).

        The indexes project keys and filter attributes only, so each page of index entries is
        followed by one BatchGetItem of the job items (strongly consistent).
        """
        for page in self._query_pages(
            condition,
            values,
            names or {},
            filter_expression,
            index=index,
            forward=forward,
            start_key=start_key,
        ):
            entries = {(e["PK"]["S"], e["SK"]["S"]): e for e in page}
            for job in fetch_jobs(self.client, self.table, page):
                yield job, entries[(keys.job_pk(job.job_id), keys.JOB_SK)]

    def count_index(
        self,
        index: str,
        condition: str,
        values: dict[str, Any],
        *,
        names: dict[str, str] | None = None,
        filter_expression: str | None = None,
    ) -> int:
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": to_item(values),
            "Select": "COUNT",
        }
        if names:
            request["ExpressionAttributeNames"] = names
        if filter_expression:
            request["FilterExpression"] = filter_expression
        total = 0
        while True:
            response = call_with_retry(lambda: self.client.query(**request))
            total += int(response.get("Count", 0))
            last = response.get("LastEvaluatedKey")
            if not last:
                return total
            request["ExclusiveStartKey"] = last

    def active_job_count(self, user_id: str) -> int:
        response = call_with_retry(
            lambda: self.client.get_item(
                TableName=self.table, Key=to_item(keys.quota_key(user_id)), ConsistentRead=True
            )
        )
        item = response.get("Item")
        return int(from_item(item).get("activeJobs", 0)) if item else 0

    # ------------------------------------------------------------------------- transport

    def _transact(self, transaction: list[dict[str, Any]]) -> None:
        items: Any = transaction  # built as plain dicts; boto3's stubs want TypedDicts

        def send() -> None:
            try:
                self.client.transact_write_items(TransactItems=items)
            except (BotocoreConnectionError, HTTPClientError):
                # The reply was lost, the write may have landed. Every transaction here is
                # guarded, so sending it again either applies it or is refused as done.
                self.client.transact_write_items(TransactItems=items)

        call_with_retry(send)
