"""Faults moto never produces, injected by botocore hooks: conflicts, throttles, lost replies."""

from __future__ import annotations

import pytest

from jobstate import ChunkStatus, ChunkStatusUpdate, JobStateManager, JobStatus
from jobstate.errors import StoreUnavailableError
from jobstate.store.keys import chunk_id
from tests.integration.conftest import start_translation, system
from tests.support import (
    FaultInjector,
    LostReplyError,
    ReplyLoser,
    create_request,
    injecting,
    losing_replies,
)

C = ChunkStatus


def complete(manager: JobStateManager, job_id: str, index: int) -> None:
    manager.update_chunk_status(
        job_id, chunk_id(job_id, index), index, ChunkStatusUpdate(status=C.COMPLETED, cost=0.1)
    )


def test_transaction_conflicts_are_retried(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    start_translation(manager, job_id, 3)
    conflict = FaultInjector(
        "TransactWriteItems", "TransactionCanceledException", 3, "TransactionConflict"
    )
    with injecting(manager.client, conflict):
        complete(manager, job_id, 0)
    assert conflict.injected == 3
    job = manager.get_job(job_id)
    assert job is not None and job.chunks_completed == 1


def test_throttling_is_retried(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    throttle = FaultInjector("TransactWriteItems", "ThrottlingException", 2)
    with injecting(manager.client, throttle):
        result = manager.transition_job_state(
            job_id, JobStatus.CREATED, JobStatus.VALIDATING, system()
        )
    assert throttle.injected == 2 and result.applied
    read_throttle = FaultInjector("GetItem", "ProvisionedThroughputExceededException", 2)
    with injecting(manager.client, read_throttle):
        assert manager.get_job(job_id) is not None
    assert read_throttle.injected == 2


def test_endless_throttling_becomes_a_clear_error(manager: JobStateManager) -> None:
    throttle = FaultInjector("GetItem", "ThrottlingException", 1000)
    with injecting(manager.client, throttle), pytest.raises(StoreUnavailableError):
        manager.get_job("JOB_X")


def test_a_lost_reply_then_a_retry_leaves_the_counters_exact(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    start_translation(manager, job_id, 3)
    loser = ReplyLoser("TransactWriteItems", 1)
    with losing_replies(manager.client, loser), pytest.raises(LostReplyError):
        complete(manager, job_id, 0)
    complete(manager, job_id, 0)  # the caller, not knowing, sends it again
    JobStateManager().update_chunk_status(  # and so does another instance
        job_id, chunk_id(job_id, 0), 0, ChunkStatusUpdate(status=C.COMPLETED, cost=0.1)
    )
    job = manager.get_job(job_id)
    assert job is not None
    assert (job.chunks_completed, job.chunks_pending, job.chunks_outstanding) == (1, 2, 2)
    assert job.actual_cost == 0.1


def test_a_lost_reply_on_the_last_chunk_still_transitions_once(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    start_translation(manager, job_id, 2)
    complete(manager, job_id, 0)
    loser = ReplyLoser("TransactWriteItems", 2)  # lose the refusal and the transition's reply
    with losing_replies(manager.client, loser), pytest.raises(LostReplyError):
        complete(manager, job_id, 1)
    fresh = JobStateManager()
    fresh.update_chunk_status(job_id, chunk_id(job_id, 1), 1, ChunkStatusUpdate(status=C.COMPLETED))
    history = manager.get_job_history(job_id)
    assert [h.to_state for h in history].count(JobStatus.ASSEMBLING) == 1
    job = manager.get_job(job_id)
    assert job is not None and job.status == JobStatus.ASSEMBLING and job.chunks_completed == 2


def test_a_lost_transition_reply_is_recognised_on_retry(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    loser = ReplyLoser("TransactWriteItems", 1)
    with losing_replies(manager.client, loser), pytest.raises(LostReplyError):
        manager.transition_job_state(job_id, JobStatus.CREATED, JobStatus.VALIDATING, system())
    again = manager.transition_job_state(job_id, JobStatus.CREATED, JobStatus.VALIDATING, system())
    assert not again.applied and again.job.status == JobStatus.VALIDATING
    assert len(manager.get_job_history(job_id)) == 2


def test_a_lost_create_reply_is_not_a_second_job(manager: JobStateManager) -> None:
    """botocore resends on a dropped connection; the guard recognises our own write."""
    loser = ReplyLoser("TransactWriteItems", 1)
    with losing_replies(manager.client, loser), pytest.raises(LostReplyError):
        manager.create_job(create_request(user="lost-reply"))
    assert manager.active_job_count("lost-reply") == 1


def test_a_dropped_connection_is_resent_and_recognised(manager: JobStateManager) -> None:
    """The store resends a write whose connection dropped; every write is guarded, so the
    resend is either applied or recognised as already done."""
    loser = ReplyLoser("TransactWriteItems", 1, connection_error=True)
    with losing_replies(manager.client, loser):
        job_id = manager.create_job(create_request(user="dropped")).job_id
    assert loser.lost == 1
    assert manager.get_job(job_id) is not None
    assert manager.active_job_count("dropped") == 1
    start_translation(manager, job_id, 2)
    loser = ReplyLoser("TransactWriteItems", 1, connection_error=True)
    with losing_replies(manager.client, loser):
        complete(manager, job_id, 0)
    job = manager.get_job(job_id)
    assert job is not None and job.chunks_completed == 1 and job.actual_cost == 0.1
