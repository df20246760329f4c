"""Chunk registration and chunk reports: exactly-once counters and the transitions they cause."""

from __future__ import annotations

import pytest

from jobstate import (
    ChunkSpec,
    ChunkStatus,
    ChunkStatusUpdate,
    ErrorInfo,
    InvalidRequestError,
    JobStateManager,
    JobStatus,
    StaleStateError,
)
from jobstate.config import Settings
from jobstate.store.keys import chunk_id
from tests.integration.conftest import TO_CHUNKING, advance, start_translation
from tests.support import create_request

S, C = JobStatus, ChunkStatus


def report(manager: JobStateManager, job_id: str, index: int, status: C, **fields: object):
    update = ChunkStatusUpdate.model_validate({"status": status, **fields})
    return manager.update_chunk_status(job_id, chunk_id(job_id, index), index, update)


def job(manager: JobStateManager, job_id: str):
    record = manager.get_job(job_id)
    assert record is not None
    return record


def test_registration_sets_the_real_chunk_count(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    assert job(manager, job_id).total_chunks == 8  # the estimate: 12,000 words / 1,500
    start_translation(manager, job_id, 3)
    record = job(manager, job_id)
    assert (record.total_chunks, record.chunks_pending, record.chunks_outstanding) == (3, 3, 3)
    assert record.failure_budget == 0  # 10% of 3 rounds down


def test_registration_is_idempotent_and_checked(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    with pytest.raises(StaleStateError):
        manager.register_chunks(job_id, [ChunkSpec(index=0, token_count=5)])
    advance(manager, job_id, TO_CHUNKING)
    with pytest.raises(InvalidRequestError):
        manager.register_chunks(job_id, [ChunkSpec(index=1, token_count=5)])
    specs = [ChunkSpec(index=i, token_count=5) for i in range(4)]
    first = manager.register_chunks(job_id, specs)
    again = manager.register_chunks(job_id, specs)
    assert again.version == first.version and again.total_chunks == 4


def test_a_replayed_report_changes_nothing(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    start_translation(manager, job_id, 3)
    assert report(manager, job_id, 0, C.TRANSLATING).applied
    assert report(manager, job_id, 0, C.COMPLETED, cost=0.5, processingTime=900).applied
    before = job(manager, job_id)
    fresh = JobStateManager()  # another process: no cached chunk state
    for status in (C.COMPLETED, C.TRANSLATING, C.FAILED):
        assert not fresh.update_chunk_status(
            job_id, chunk_id(job_id, 0), 0, ChunkStatusUpdate(status=status, cost=9.0)
        ).applied
    after = job(manager, job_id)
    assert after.version == before.version
    assert (after.chunks_completed, after.actual_cost) == (1, 0.5)


def test_in_chunk_progress_never_goes_back(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    start_translation(manager, job_id, 2)
    report(manager, job_id, 1, C.TRANSLATING, progress=60)
    assert not report(manager, job_id, 1, C.TRANSLATING, progress=30).applied
    chunk = manager.get_chunk(job_id, 1)
    assert chunk is not None and chunk.progress == 60
    assert job(manager, job_id).chunk_units == 60


def test_the_last_completion_moves_the_job_to_assembling(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    start_translation(manager, job_id, 3)
    transitions = [report(manager, job_id, i, C.COMPLETED).job_transition for i in range(3)]
    assert transitions == [None, None, S.ASSEMBLING]
    record = job(manager, job_id)
    assert record.status == S.ASSEMBLING and record.chunks_outstanding == 0
    assert record.overall_progress() == 85.0
    last = manager.get_job_history(job_id)[-1]
    assert (last.from_state, last.to_state, last.version) == (
        S.TRANSLATING,
        S.ASSEMBLING,
        record.version,
    )


def test_failures_past_the_threshold_fail_the_job_once(table_name: str) -> None:
    manager = JobStateManager(
        settings=Settings.from_env().model_copy(update={"failure_threshold": 0.2})
    )
    job_id = manager.create_job(create_request()).job_id
    start_translation(manager, job_id, 10)
    error = {"code": "INVALID_CONTENT", "message": "unreadable"}
    results = [report(manager, job_id, i, C.FAILED, error=error) for i in range(4)]
    assert [r.job_transition for r in results] == [None, None, S.FAILED, None]
    record = job(manager, job_id)
    assert record.status == S.FAILED and record.chunks_failed == 4
    assert record.last_error is not None and record.last_error.code == "INVALID_CONTENT"
    assert [h.to_state for h in manager.get_job_history(job_id)].count(S.FAILED) == 1
    chunk = manager.get_chunk(job_id, 0)
    assert chunk is not None and chunk.last_error == ErrorInfo(
        code="INVALID_CONTENT", message="unreadable", timestamp=chunk.last_error.timestamp
    )


def test_a_result_after_pause_is_recorded_without_moving_the_job(
    manager: JobStateManager,
) -> None:
    job_id = manager.create_job(create_request()).job_id
    start_translation(manager, job_id, 2)
    report(manager, job_id, 0, C.COMPLETED)
    advance(manager, job_id, [(S.TRANSLATING, S.PAUSED)])
    result = report(manager, job_id, 1, C.COMPLETED, cost=0.25)
    assert result.applied and result.job_transition is None
    record = job(manager, job_id)
    assert record.status == S.PAUSED and record.chunks_completed == 2
    assert record.actual_cost == 0.25


def test_failures_after_pause_do_not_fail_the_job(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    start_translation(manager, job_id, 3)  # tolerates no failed chunk
    advance(manager, job_id, [(S.TRANSLATING, S.PAUSED)])
    result = report(manager, job_id, 2, C.FAILED, error={"code": "TIMEOUT"})
    assert result.applied and result.job_transition is None
    record = job(manager, job_id)
    assert record.status == S.PAUSED and record.chunks_failed == 1
    assert record.failure_budget == -1  # resuming sees the threshold already passed


def test_unknown_chunks_and_mismatched_ids_are_refused(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    start_translation(manager, job_id, 1)
    with pytest.raises(InvalidRequestError):
        manager.update_chunk_status(job_id, "other", 0, ChunkStatusUpdate(status=C.COMPLETED))
    from jobstate import ChunkNotFoundError

    with pytest.raises(ChunkNotFoundError):
        report(manager, job_id, 5, C.COMPLETED)
