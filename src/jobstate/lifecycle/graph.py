"""The complete job transition graph, declared as data, and the chunk transition rules.

Each edge names its trigger kind and the roles that may take it. Operators may take every edge
(they repair jobs by hand), so they are added to all edges rather than repeated in each row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jobstate.lifecycle.states import ActorRole, ChunkStatus, JobStatus, TriggerKind

S = JobStatus
SYSTEM = frozenset({ActorRole.SYSTEM})
OWNER = frozenset({ActorRole.OWNER})
BOTH = SYSTEM | OWNER


@dataclass(frozen=True)
class Edge:
    source: JobStatus
    target: JobStatus
    trigger: TriggerKind
    roles: frozenset[ActorRole]
    description: str


TERMINAL_STATES: frozenset[JobStatus] = frozenset({S.COMPLETED, S.CANCELLED})

# FAILED is settled but not terminal: an owner may retry it, so it is neither active nor final.
SETTLED_STATES: frozenset[JobStatus] = TERMINAL_STATES | {S.FAILED}

# The stages where work is done, in pipeline order.
WORK_STAGES: tuple[JobStatus, ...] = (
    S.CREATED,
    S.VALIDATING,
    S.VALIDATED,
    S.QUEUED,
    S.CHUNKING,
    S.CHUNKED,
    S.TRANSLATING,
    S.ASSEMBLING,
    S.FINALIZING,
)

# States that hold a job without doing its work; progress stays at the last work stage.
HOLDING_STATES: frozenset[JobStatus] = frozenset(
    {S.PAUSED, S.RESUMING, S.RETRYING, S.RATE_LIMITED, S.RECOVERING}
)

ACTIVE_STATES: frozenset[JobStatus] = frozenset(JobStatus) - SETTLED_STATES

# A stalled job restarts from the last good point: the stage it was stuck in.
RESTARTABLE_STAGES: tuple[JobStatus, ...] = (
    S.VALIDATING,
    S.QUEUED,
    S.CHUNKING,
    S.TRANSLATING,
    S.ASSEMBLING,
    S.FINALIZING,
)

_A, _M, _C = TriggerKind.AUTOMATIC, TriggerKind.MANUAL, TriggerKind.CONDITIONAL


def _happy_path() -> list[Edge]:
    rows = [
        (S.CREATED, S.VALIDATING, _A, "workflow starts validation"),
        (S.VALIDATING, S.VALIDATED, _C, "legal attestation valid"),
        (S.VALIDATED, S.QUEUED, _A, "job enters the processing queue"),
        (S.QUEUED, S.CHUNKING, _C, "capacity free and job first in queue"),
        (S.CHUNKING, S.CHUNKED, _C, "at least one chunk created"),
        (S.CHUNKED, S.TRANSLATING, _A, "translation fan-out starts"),
        (S.TRANSLATING, S.ASSEMBLING, _C, "every chunk completed"),
        (S.ASSEMBLING, S.FINALIZING, _C, "document assembled"),
        (S.FINALIZING, S.COMPLETED, _C, "final quality check passed"),
    ]
    return [Edge(a, b, t, SYSTEM, d) for a, b, t, d in rows]


def _interruptions() -> list[Edge]:
    edges: list[Edge] = []
    for state in sorted(ACTIVE_STATES):
        edges.append(Edge(state, S.FAILED, _A, SYSTEM, "unrecoverable error"))
        edges.append(Edge(state, S.CANCELLED, _M, OWNER, "cancel requested"))
    edges.append(Edge(S.FAILED, S.CANCELLED, _M, OWNER, "failed job abandoned"))
    for state in (S.QUEUED, S.TRANSLATING, S.RATE_LIMITED):
        edges.append(Edge(state, S.PAUSED, _M, BOTH, "pause requested or review needed"))
    for state in (S.RETRYING, S.RECOVERING, S.FAILED):
        edges.append(Edge(state, S.PAUSED, _C, SYSTEM, "paused for review"))
    edges.append(Edge(S.PAUSED, S.RESUMING, _M, OWNER, "resume requested"))
    edges.append(Edge(S.RESUMING, S.TRANSLATING, _A, SYSTEM, "translation resumes"))
    edges.append(Edge(S.RESUMING, S.QUEUED, _A, SYSTEM, "job paused before chunking re-queued"))
    edges.append(Edge(S.TRANSLATING, S.RATE_LIMITED, _C, SYSTEM, "provider rate limit hit"))
    edges.append(Edge(S.RATE_LIMITED, S.TRANSLATING, _C, SYSTEM, "rate limit window over"))
    edges.append(Edge(S.RATE_LIMITED, S.RETRYING, _C, SYSTEM, "job-level error while waiting"))
    edges.append(Edge(S.FAILED, S.RETRYING, _M, BOTH, "retry requested"))
    edges.append(Edge(S.FAILED, S.TRANSLATING, _C, SYSTEM, "partial retry of failed chunks"))
    for stage in RESTARTABLE_STAGES:
        edges.append(Edge(stage, S.RETRYING, _C, SYSTEM, "recoverable error, retry scheduled"))
        edges.append(Edge(stage, S.RECOVERING, _C, SYSTEM, "stall detected"))
        edges.append(Edge(S.RETRYING, stage, _A, SYSTEM, "retry restarts the stage"))
        edges.append(Edge(S.RECOVERING, stage, _A, SYSTEM, "recovery restarts the stage"))
    return edges


def _with_operator(edges: Iterable[Edge]) -> tuple[Edge, ...]:
    return tuple(
        Edge(e.source, e.target, e.trigger, e.roles | {ActorRole.OPERATOR}, e.description)
        for e in edges
    )


def _unique(edges: Iterable[Edge]) -> list[Edge]:
    seen: dict[tuple[JobStatus, JobStatus], Edge] = {}
    for edge in edges:
        key = (edge.source, edge.target)
        if key in seen:
            old = seen[key]
            edge = Edge(
                old.source, old.target, old.trigger, old.roles | edge.roles, old.description
            )
        seen[key] = edge
    return list(seen.values())


JOB_TRANSITIONS: tuple[Edge, ...] = _with_operator(_unique(_happy_path() + _interruptions()))

_EDGES: dict[tuple[JobStatus, JobStatus], Edge] = {(e.source, e.target): e for e in JOB_TRANSITIONS}


def find_edge(source: JobStatus, target: JobStatus) -> Edge | None:
    return _EDGES.get((source, target))


def allowed_targets(source: JobStatus, role: ActorRole | None = None) -> list[JobStatus]:
    """The states a job in `source` may move to, optionally only those open to `role`."""
    return sorted(
        e.target
        for e in JOB_TRANSITIONS
        if e.source == source and (role is None or role in e.roles)
    )


def is_terminal(status: JobStatus) -> bool:
    return status in TERMINAL_STATES


def is_active(status: JobStatus) -> bool:
    """Active jobs hold capacity and count against the owner's quota."""
    return status in ACTIVE_STATES


def is_holding(status: JobStatus) -> bool:
    return status in HOLDING_STATES


# Chunk rules. A chunk's own state guards every counter change, so these edges are also what makes
# a replayed update harmless: an update whose edge is absent changes nothing.
C = ChunkStatus
CHUNK_TRANSITIONS: dict[ChunkStatus, frozenset[ChunkStatus]] = {
    C.PENDING: frozenset({C.TRANSLATING, C.COMPLETED, C.FAILED, C.RETRYING, C.RATE_LIMITED}),
    C.TRANSLATING: frozenset({C.TRANSLATING, C.COMPLETED, C.FAILED, C.RETRYING, C.RATE_LIMITED}),
    C.RETRYING: frozenset({C.TRANSLATING, C.COMPLETED, C.FAILED, C.RATE_LIMITED}),
    C.RATE_LIMITED: frozenset({C.TRANSLATING, C.COMPLETED, C.FAILED, C.RETRYING}),
    C.FAILED: frozenset({C.PENDING, C.RETRYING, C.TRANSLATING, C.COMPLETED}),
    C.COMPLETED: frozenset(),
}


def chunk_may_move(source: ChunkStatus, target: ChunkStatus) -> bool:
    return target in CHUNK_TRANSITIONS[source]


def mermaid_diagram() -> str:
    """A Mermaid state diagram of the job graph; docs/lifecycle.md embeds it."""
    lines = ["stateDiagram-v2", "    [*] --> CREATED"]
    for edge in sorted(JOB_TRANSITIONS, key=lambda e: (e.source, e.target)):
        roles = ",".join(sorted(r.value.lower() for r in edge.roles - {ActorRole.OPERATOR}))
        label = f"{edge.trigger.value.lower()} ({roles})"
        lines.append(f"    {edge.source} --> {edge.target}: {label}")
    for state in sorted(TERMINAL_STATES):
        lines.append(f"    {state} --> [*]")
    return "\n".join(lines) + "\n"
