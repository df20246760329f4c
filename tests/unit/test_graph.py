"""The transition graph: its states, edges, roles and the generated diagram."""

from __future__ import annotations

from collections import deque
from itertools import pairwise

import pytest

from jobstate import docs
from jobstate.lifecycle.graph import (
    ACTIVE_STATES,
    JOB_TRANSITIONS,
    TERMINAL_STATES,
    allowed_targets,
    find_edge,
    is_active,
    is_terminal,
    mermaid_diagram,
)
from jobstate.lifecycle.states import ActorRole, ChunkStatus, JobStatus, TriggerKind

S = JobStatus


def reachable(source: JobStatus) -> set[JobStatus]:
    seen, queue = {source}, deque([source])
    while queue:
        for target in allowed_targets(queue.popleft()):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def test_the_designs_states_all_exist() -> None:
    assert len(JobStatus) == 17
    assert {c.value for c in ChunkStatus} == {
        "PENDING",
        "TRANSLATING",
        "COMPLETED",
        "FAILED",
        "RETRYING",
        "RATE_LIMITED",
    }


def test_every_active_state_can_reach_a_terminal_state() -> None:
    for state in ACTIVE_STATES:
        assert reachable(state) & TERMINAL_STATES, state


def test_nothing_leaves_completed_or_cancelled() -> None:
    assert {S.COMPLETED, S.CANCELLED} == TERMINAL_STATES
    for state in TERMINAL_STATES:
        assert allowed_targets(state) == []
        assert is_terminal(state)
        assert not is_active(state)


def test_failed_is_settled_but_retryable() -> None:
    assert not is_terminal(S.FAILED)
    assert not is_active(S.FAILED)
    assert S.RETRYING in allowed_targets(S.FAILED, ActorRole.OWNER)


def test_every_state_is_reachable_from_created() -> None:
    assert reachable(S.CREATED) == set(JobStatus)


def test_happy_path_is_system_driven() -> None:
    path = [
        S.CREATED,
        S.VALIDATING,
        S.VALIDATED,
        S.QUEUED,
        S.CHUNKING,
        S.CHUNKED,
        S.TRANSLATING,
        S.ASSEMBLING,
        S.FINALIZING,
        S.COMPLETED,
    ]
    for source, target in pairwise(path):
        edge = find_edge(source, target)
        assert edge is not None
        assert ActorRole.SYSTEM in edge.roles
        assert ActorRole.OWNER not in edge.roles


@pytest.mark.parametrize("state", sorted(ACTIVE_STATES))
def test_any_active_state_may_fail_or_be_cancelled(state: JobStatus) -> None:
    failed = find_edge(state, S.FAILED)
    cancelled = find_edge(state, S.CANCELLED)
    assert failed is not None and ActorRole.SYSTEM in failed.roles
    assert cancelled is not None and ActorRole.OWNER in cancelled.roles
    assert cancelled.trigger == TriggerKind.MANUAL


def test_the_edges_the_design_table_omits_are_present() -> None:
    for source, target in [
        (S.QUEUED, S.PAUSED),
        (S.TRANSLATING, S.PAUSED),
        (S.PAUSED, S.RESUMING),
        (S.RESUMING, S.TRANSLATING),
        (S.FAILED, S.RETRYING),
        (S.FAILED, S.TRANSLATING),
        (S.FAILED, S.PAUSED),
        (S.TRANSLATING, S.RATE_LIMITED),
        (S.RATE_LIMITED, S.TRANSLATING),
        (S.TRANSLATING, S.RECOVERING),
        (S.RECOVERING, S.TRANSLATING),
    ]:
        assert find_edge(source, target) is not None, (source, target)


def test_operators_may_take_every_edge_and_owners_only_manual_ones() -> None:
    for edge in JOB_TRANSITIONS:
        assert ActorRole.OPERATOR in edge.roles
        if ActorRole.OWNER in edge.roles:
            assert edge.trigger == TriggerKind.MANUAL, edge


def test_owner_cannot_force_the_pipeline_forward() -> None:
    assert S.COMPLETED not in allowed_targets(S.FINALIZING, ActorRole.OWNER)
    assert allowed_targets(S.PAUSED, ActorRole.OWNER) == [S.CANCELLED, S.RESUMING]


def test_edges_are_unique() -> None:
    pairs = [(e.source, e.target) for e in JOB_TRANSITIONS]
    assert len(pairs) == len(set(pairs))


def test_diagram_names_every_edge() -> None:
    diagram = mermaid_diagram()
    for edge in JOB_TRANSITIONS:
        assert f"{edge.source} --> {edge.target}:" in diagram


def test_generated_documents_are_current() -> None:
    assert docs.main(["--check"]) == 0, "run `make docs` and commit the result"
