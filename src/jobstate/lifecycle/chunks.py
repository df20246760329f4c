"""How one chunk report changes the chunk and the job's counters, as a pure function.

The store applies the result in one transaction guarded by the chunk state it was computed from,
so a report counts exactly once: a replay finds the chunk already changed and plans nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jobstate.lifecycle.graph import chunk_may_move
from jobstate.lifecycle.states import ChunkStatus

C = ChunkStatus

# The job counter that holds the number of chunks in each status.
STATUS_COUNTERS: dict[ChunkStatus, str] = {
    C.PENDING: "chunksPending",
    C.TRANSLATING: "chunksTranslating",
    C.COMPLETED: "chunksCompleted",
    C.FAILED: "chunksFailed",
    C.RETRYING: "chunksRetrying",
    C.RATE_LIMITED: "chunksRateLimited",
}
OUTCOMES = frozenset({C.COMPLETED, C.FAILED, C.RETRYING, C.RATE_LIMITED})


@dataclass(frozen=True)
class ChunkState:
    """The part of a chunk item that guards updates."""

    status: ChunkStatus = C.PENDING
    progress: float = 0.0
    attempts: int = 0


@dataclass(frozen=True)
class ChunkReport:
    status: ChunkStatus
    progress: float | None = None
    attempt: int | None = None


@dataclass(frozen=True)
class ChunkChange:
    before: ChunkState
    after: ChunkState
    counter_deltas: dict[str, int | float] = field(default_factory=dict)
    starts_attempt: bool = False
    is_outcome: bool = False

    @property
    def completes(self) -> bool:
        return self.after.status == C.COMPLETED and self.before.status != C.COMPLETED

    @property
    def fails(self) -> bool:
        return self.after.status == C.FAILED and self.before.status != C.FAILED


def _units(state: ChunkState) -> float:
    return 100.0 if state.status == C.COMPLETED else state.progress


def _is_stale(before: ChunkState, report: ChunkReport) -> bool:
    if report.attempt is None:
        return False
    if report.status == C.COMPLETED:
        return False  # a finished translation is worth keeping whichever attempt made it
    starting = report.status == C.TRANSLATING and before.status != C.TRANSLATING
    if starting:
        return report.attempt <= before.attempts
    return report.attempt != before.attempts


def plan_chunk_change(before: ChunkState, report: ChunkReport) -> ChunkChange | None:
    """The change `report` makes to a chunk in state `before`, or None when it changes nothing."""
    same_status = report.status == before.status
    if same_status and report.status != C.TRANSLATING:
        return None
    if not same_status and not chunk_may_move(before.status, report.status):
        return None
    if _is_stale(before, report):
        return None

    starts = report.status == C.TRANSLATING and not same_status
    # Tenths of a percent: decimal counters then add up exactly in DynamoDB.
    progress = round(max(before.progress, report.progress or 0.0), 1)
    if report.status == C.COMPLETED:
        progress = 100.0
    after = ChunkState(report.status, progress, before.attempts + (1 if starts else 0))
    if after == before:
        return None

    deltas: dict[str, int | float] = {}
    if not same_status:
        deltas[STATUS_COUNTERS[before.status]] = -1
        deltas[STATUS_COUNTERS[after.status]] = 1
    units = round(_units(after) - _units(before), 1)
    if units:
        deltas["chunkUnits"] = units
    if after.status == C.COMPLETED and before.status != C.COMPLETED:
        deltas["chunksOutstanding"] = -1
    if after.status == C.FAILED and before.status != C.FAILED:
        deltas["failureBudget"] = -1
    if before.status == C.FAILED and after.status != C.FAILED:
        deltas["failureBudget"] = 1
    if starts and after.attempts > 1:
        deltas["chunkRetries"] = 1
    return ChunkChange(
        before,
        after,
        deltas,
        starts_attempt=starts,
        is_outcome=not same_status and after.status in OUTCOMES,
    )
