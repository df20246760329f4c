"""TranslationJobService and JobErrorRecovery against moto's DynamoDB server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from jobstate import (
    ChunkStatus,
    ChunkStatusUpdate,
    ErrorInfo,
    IllegalTransitionError,
    JobErrorRecovery,
    JobNotFoundError,
    JobStateManager,
    JobStatus,
    QuotaExceededError,
    TranslationJobService,
    UserJobsRequest,
)
from jobstate.lifecycle.recovery import ErrorScope, RecoveryActionKind
from jobstate.service.cursor import InvalidCursorError
from jobstate.store.keys import chunk_id
from tests.integration.conftest import TO_CHUNKING, advance, settings_with, start_translation
from tests.support import create_request

S, C = JobStatus, ChunkStatus


class TickingClock:
    """A clock that moves one second per reading, so creation times are distinct."""

    def __init__(self) -> None:
        self._ticks = count()
        self.start = datetime(2026, 6, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=next(self._ticks))


def test_the_active_job_quota_holds(table_name: str) -> None:
    service = TranslationJobService(
        manager=JobStateManager(settings=settings_with(max_active_jobs_per_user=2))
    )
    first = service.create_job(create_request(user="q")).job_id
    service.create_job(create_request(user="q"))
    with pytest.raises(QuotaExceededError):
        service.create_job(create_request(user="q"))
    service.create_job(create_request(user="someone-else"))
    service.cancel_job(first, "q")
    assert service.active_jobs("q") == 1
    service.create_job(create_request(user="q"))


def test_another_users_job_is_not_found(service: TranslationJobService) -> None:
    job_id = service.create_job(create_request(user="alice")).job_id
    for call in (service.get_job_progress, service.get_job_details, service.get_job_history):
        with pytest.raises(JobNotFoundError):
            call(job_id, "mallory")
    with pytest.raises(JobNotFoundError):
        service.cancel_job(job_id, "mallory")
    assert service.get_job_progress(job_id, "alice").status == S.CREATED


def test_owner_controls_follow_the_graph(service: TranslationJobService) -> None:
    manager = service.manager
    job_id = service.create_job(create_request(user="o")).job_id
    with pytest.raises(IllegalTransitionError) as caught:
        service.pause_job(job_id, "o")
    assert caught.value.allowed == [S.CANCELLED]
    start_translation(manager, job_id, 2)
    assert service.pause_job(job_id, "o").job.status == S.PAUSED
    assert not service.pause_job(job_id, "o").applied  # pausing twice is harmless
    assert service.resume_job(job_id, "o").job.status == S.RESUMING
    assert service.cancel_job(job_id, "o").job.status == S.CANCELLED
    with pytest.raises(IllegalTransitionError):
        service.retry_failed_chunks(job_id, "o")
    roles = [h.role for h in manager.get_job_history(job_id)[-3:]]
    assert [r.value for r in roles] == ["OWNER", "OWNER", "OWNER"]


def test_operators_may_force_any_edge_but_only_edges(service: TranslationJobService) -> None:
    job_id = service.create_job(create_request()).job_id
    moved = service.set_job_status(job_id, S.VALIDATING, actor="op-1", reason="manual kick")
    assert moved.job.status == S.VALIDATING
    with pytest.raises(IllegalTransitionError):
        service.set_job_status(job_id, S.COMPLETED, actor="op-1", reason="skip")
    last = service.manager.get_job_history(job_id)[-1]
    assert (last.actor, last.reason, last.role.value) == ("op-1", "manual kick", "OPERATOR")


def test_user_jobs_page_newest_first_without_gaps(table_name: str) -> None:
    service = TranslationJobService(manager=JobStateManager(clock=TickingClock()))
    created = [service.create_job(create_request(user="lister")).job_id for _ in range(7)]
    service.create_job(create_request(user="other"))
    seen: list[str] = []
    cursor = None
    while True:
        page = service.list_user_jobs(UserJobsRequest(user_id="lister", limit=3, cursor=cursor))
        assert page.total_count == 7
        seen += [j.job_id for j in page.jobs]
        if not page.has_more:
            break
        cursor = page.next_cursor
    assert seen == list(reversed(created))


def test_user_jobs_filter_by_status_and_date(table_name: str) -> None:
    clock = TickingClock()
    service = TranslationJobService(manager=JobStateManager(clock=clock))
    ids = [service.create_job(create_request(user="f")).job_id for _ in range(4)]
    service.cancel_job(ids[1], "f")
    cancelled = service.list_user_jobs(UserJobsRequest(user_id="f", status=[S.CANCELLED]))
    assert [j.job_id for j in cancelled.jobs] == [ids[1]] and cancelled.total_count == 1
    first = service.manager.get_job(ids[0])
    third = service.manager.get_job(ids[2])
    assert first and third
    window = service.list_user_jobs(
        UserJobsRequest(user_id="f", start_date=first.created_at, end_date=third.created_at)
    )
    assert [j.job_id for j in window.jobs] == [ids[2], ids[1], ids[0]]


def test_cursors_cannot_be_tampered_or_borrowed(service: TranslationJobService) -> None:
    for _ in range(3):
        service.create_job(create_request(user="c"))
    page = service.list_user_jobs(UserJobsRequest(user_id="c", limit=1))
    assert page.next_cursor
    with pytest.raises(InvalidCursorError):
        service.list_user_jobs(UserJobsRequest(user_id="d", cursor=page.next_cursor))
    with pytest.raises(InvalidCursorError):
        service.list_user_jobs(UserJobsRequest(user_id="c", cursor=page.next_cursor[:-2]))
    with pytest.raises(InvalidCursorError):  # a cursor belongs to its filters too
        service.list_user_jobs(
            UserJobsRequest(user_id="c", status=[S.CREATED], cursor=page.next_cursor)
        )


def test_details_page_the_chunks(service: TranslationJobService) -> None:
    job_id = service.create_job(create_request()).job_id
    start_translation(service.manager, job_id, 130)
    details = service.get_job_details(job_id)
    assert len(details.chunks) == 100 and details.chunks_next_cursor
    rest = service.list_chunks(job_id, cursor=details.chunks_next_cursor)
    assert [c.index for c in rest.chunks] == list(range(100, 130)) and not rest.has_more
    service.manager.update_chunk_status(
        job_id, chunk_id(job_id, 7), 7, ChunkStatusUpdate(status=C.COMPLETED)
    )
    done = service.list_chunks(job_id, status=C.COMPLETED)
    assert [c.index for c in done.chunks] == [7]


def test_progress_shows_stages_and_counts(service: TranslationJobService) -> None:
    job_id = service.create_job(create_request()).job_id
    start_translation(service.manager, job_id, 4)
    for index in range(2):
        service.manager.update_chunk_status(
            job_id, chunk_id(job_id, index), index, ChunkStatusUpdate(status=C.COMPLETED)
        )
    progress = service.get_job_progress(job_id)
    assert progress.overall_progress == 50.0  # 15 + 70 * 2/4
    assert progress.chunk_counts.completed == 2 and progress.chunk_counts.pending == 2
    assert progress.detailed_progress.chunking.status == "COMPLETED"
    assert progress.detailed_progress.translation.status == "IN_PROGRESS"
    assert progress.detailed_progress.translation.progress == 50.0
    assert progress.current_stage == "Translating content"
    body = progress.to_json_dict()
    assert body["chunksCompleted"] == 2 and "detailedProgress" in body


def test_recovery_acts_from_the_jobs_current_state(service: TranslationJobService) -> None:
    manager = service.manager
    recovery = JobErrorRecovery(manager=manager)
    job_id = service.create_job(create_request()).job_id
    start_translation(manager, job_id, 3)
    action = recovery.handle_job_error(job_id, ErrorInfo(code="SERVICE_UNAVAILABLE"))
    assert action.action == RecoveryActionKind.RETRY_DELAYED
    assert action.job_status == S.RETRYING and 0 <= action.delay_seconds <= 300
    job = manager.get_job(job_id)
    assert job is not None and job.retry_count == 1
    advance(manager, job_id, [(S.RETRYING, S.TRANSLATING)])
    failed = recovery.handle_job_error(job_id, ErrorInfo(code="UNAUTHORIZED"))
    assert failed.action == RecoveryActionKind.FAIL_PERMANENT and failed.job_status == S.FAILED
    job = manager.get_job(job_id)
    assert job is not None and job.last_error is not None
    assert job.last_error.code == "UNAUTHORIZED" and job.last_error.retryable is False


def test_exhausted_rate_limits_pause_for_review(table_name: str) -> None:
    manager = JobStateManager(settings=settings_with(max_job_retries=0))
    recovery = JobErrorRecovery(manager=manager)
    job_id = manager.create_job(create_request()).job_id
    start_translation(manager, job_id, 2)
    action = recovery.handle_job_error(job_id, ErrorInfo(code="RATE_LIMITED"))
    assert action.action == RecoveryActionKind.PAUSE_AND_REVIEW
    job = manager.get_job(job_id)
    assert job is not None and job.status == S.PAUSED and job.requires_review


def test_partial_retry_resets_only_failed_chunks(service: TranslationJobService) -> None:
    manager = service.manager
    job_id = service.create_job(create_request()).job_id
    start_translation(manager, job_id, 3)
    manager.update_chunk_status(
        job_id, chunk_id(job_id, 0), 0, ChunkStatusUpdate(status=C.COMPLETED)
    )
    manager.update_chunk_status(
        job_id,
        chunk_id(job_id, 1),
        1,
        ChunkStatusUpdate(status=C.FAILED, error={"code": "TIMEOUT"}),
    )
    job = manager.get_job(job_id)
    assert job is not None and job.status == S.FAILED  # 10% of 3 chunks tolerates none
    action = JobErrorRecovery(manager=manager).handle_job_error(
        job_id, ErrorInfo(code="STORAGE_ERROR"), scope=ErrorScope.CHUNK
    )
    assert action.action == RecoveryActionKind.RETRY_PARTIAL and action.retried_chunks == 1
    job = manager.get_job(job_id)
    assert job is not None and job.status == S.TRANSLATING
    assert (job.chunks_failed, job.chunks_pending, job.chunks_completed) == (0, 2, 1)


def test_creation_estimate_counts_the_queue(service: TranslationJobService) -> None:
    first = service.create_job(create_request())
    advance(service.manager, first.job_id, TO_CHUNKING[:3])
    second = service.create_job(create_request())
    assert second.estimated_completion - first.estimated_completion >= timedelta(seconds=600)


def test_recovery_from_a_rate_limited_job(service: TranslationJobService) -> None:
    manager = service.manager
    job_id = service.create_job(create_request()).job_id
    start_translation(manager, job_id, 2)
    advance(manager, job_id, [(S.TRANSLATING, S.RATE_LIMITED)])
    action = JobErrorRecovery(manager=manager).handle_job_error(
        job_id, ErrorInfo(code="SERVICE_UNAVAILABLE")
    )
    assert action.job_status == S.RETRYING
