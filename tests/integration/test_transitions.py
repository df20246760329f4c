"""Job creation and transitions against moto's DynamoDB server."""

from __future__ import annotations

import re

import pytest

from jobstate import (
    ActorRole,
    IllegalTransitionError,
    JobNotFoundError,
    JobStateManager,
    JobStatus,
    StaleStateError,
    StateTransitionContext,
)
from tests.integration.conftest import TO_CHUNKING, advance, system
from tests.support import create_request

S = JobStatus


def test_job_ids_are_random_and_prefixed(manager: JobStateManager) -> None:
    ids = {manager.create_job(create_request()).job_id for _ in range(5)}
    assert len(ids) == 5
    for job_id in ids:
        assert re.fullmatch(r"JOB_[A-Z2-7]{24}", job_id)


def test_creation_writes_the_job_and_its_first_history_item(manager: JobStateManager) -> None:
    response = manager.create_job(create_request())
    assert response.status == S.CREATED
    assert response.progress_tracking_url == f"/jobs/{response.job_id}/progress"
    job = manager.get_job(response.job_id)
    assert job is not None and job.version == 1 and job.user_id == "user-1"
    [history] = manager.get_job_history(response.job_id)
    assert (history.from_state, history.to_state, history.version) == (None, S.CREATED, 1)


def test_each_transition_bumps_the_version_and_writes_history(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    advance(manager, job_id, TO_CHUNKING)
    job = manager.get_job(job_id)
    assert job is not None and job.status == S.CHUNKING and job.version == 5
    history = manager.get_job_history(job_id)
    assert [(h.from_state, h.to_state, h.version) for h in history] == [
        (None, S.CREATED, 1),
        (S.CREATED, S.VALIDATING, 2),
        (S.VALIDATING, S.VALIDATED, 3),
        (S.VALIDATED, S.QUEUED, 4),
        (S.QUEUED, S.CHUNKING, 5),
    ]
    assert all(h.actor == "SYSTEM" and h.reason == "pipeline" for h in history[1:])
    assert {h.user_id for h in history} == {"user-1"}


def test_an_illegal_edge_lists_the_allowed_targets(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    with pytest.raises(IllegalTransitionError) as caught:
        manager.transition_job_state(job_id, S.CREATED, S.TRANSLATING, system())
    assert caught.value.allowed == [S.FAILED, S.VALIDATING]  # CANCELLED is the owner's edge
    assert manager.get_job_history(job_id)[-1].to_state == S.CREATED


def test_an_owner_cannot_take_a_system_edge(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    owner = StateTransitionContext(reason="x", triggered_by="user-1", role=ActorRole.OWNER)
    with pytest.raises(IllegalTransitionError) as caught:
        manager.transition_job_state(job_id, S.CREATED, S.VALIDATING, owner)
    assert caught.value.allowed == [S.CANCELLED]


def test_a_stale_from_state_reports_the_current_state(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    advance(manager, job_id, TO_CHUNKING[:2])
    with pytest.raises(StaleStateError) as caught:
        manager.transition_job_state(job_id, S.CREATED, S.FAILED, system())
    assert caught.value.current == S.VALIDATED
    assert caught.value.current_version == 3


def test_a_stale_version_is_refused(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    context = StateTransitionContext(reason="x", expected_version=7)
    with pytest.raises(StaleStateError):
        manager.transition_job_state(job_id, S.CREATED, S.VALIDATING, context)
    right = StateTransitionContext(reason="x", expected_version=1)
    assert manager.transition_job_state(job_id, S.CREATED, S.VALIDATING, right).applied


def test_a_repeated_transition_is_recognised_as_done(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    first = manager.transition_job_state(job_id, S.CREATED, S.VALIDATING, system())
    again = manager.transition_job_state(job_id, S.CREATED, S.VALIDATING, system())
    assert first.applied and not again.applied
    assert again.job.version == first.job.version == 2
    assert len(manager.get_job_history(job_id)) == 2


def test_unknown_jobs_are_not_found(manager: JobStateManager) -> None:
    assert manager.get_job("JOB_MISSING") is None
    with pytest.raises(JobNotFoundError):
        manager.transition_job_state("JOB_MISSING", S.CREATED, S.VALIDATING, system())


def test_the_status_index_moves_with_the_job(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    advance(manager, job_id, TO_CHUNKING[:3])
    queued = list(manager.query_index("JobsByStatus", "GSI2PK = :pk", {":pk": "STATUS#QUEUED"}))
    assert [job.job_id for job, _ in queued] == [job_id]
    created = list(manager.query_index("JobsByStatus", "GSI2PK = :pk", {":pk": "STATUS#CREATED"}))
    assert created == []
