"""Pure rules of the workflow: fan-out ranges, waits, restart points, stall thresholds, budgets."""

from __future__ import annotations

import math
from collections.abc import Iterable

from jobstate.lifecycle.states import JobStatus
from jobstate.models import JobHistoryItem
from jobstate.workflow.pipeline import MAX_BATCH_SIZE, MAX_BATCHES

S = JobStatus

# While a job waits (paused, or queued), its execution looks again after a growing interval.
HOLD_POLL_MIN_SECONDS = 5.0
HOLD_POLL_MAX_SECONDS = 300.0
QUEUE_POLL_SECONDS = 10.0
QUEUE_POLL_MAX_SECONDS = 120.0
# However small JOBSTATE_TIME_SCALE is, a waiting job is not polled more often than this (a queue
# poll costs a COUNT query per capacity state).
MIN_POLL_SECONDS = 0.1
# A paused execution ends after this long so its event history stays bounded; the sweeper
# starts a new one when the job is resumed.
RELEASE_PAUSED_AFTER_SECONDS = 3 * 24 * 3600.0

# How long each state may go without activity before the sweeper calls the job stalled. Queued
# jobs poll without writing, so their allowance is long; a rate-limited job is judged from the
# end of its window instead (see `StallSweeper`).
STALL_AFTER_SECONDS: dict[JobStatus, float] = {
    S.CREATED: 600.0,
    S.VALIDATING: 600.0,
    S.VALIDATED: 600.0,
    S.QUEUED: 6 * 3600.0,
    S.CHUNKING: 900.0,
    S.CHUNKED: 600.0,
    S.TRANSLATING: 1800.0,
    S.RATE_LIMITED: 900.0,
    S.RETRYING: 1800.0,
    S.RESUMING: 300.0,
    S.RECOVERING: 600.0,
    S.ASSEMBLING: 1800.0,
    S.FINALIZING: 900.0,
}

# Where a retried or recovered job starts again, by the last stage that did work.
RESTART_STAGE: dict[JobStatus, JobStatus] = {
    S.CREATED: S.VALIDATING,
    S.VALIDATING: S.VALIDATING,
    S.VALIDATED: S.QUEUED,
    S.QUEUED: S.QUEUED,
    S.CHUNKING: S.CHUNKING,
    S.CHUNKED: S.TRANSLATING,
    S.TRANSLATING: S.TRANSLATING,
    S.ASSEMBLING: S.ASSEMBLING,
    S.FINALIZING: S.FINALIZING,
}


def plan_batches(total_chunks: int, max_concurrency: int) -> list[tuple[int, int]]:
    """Half-open index ranges covering every chunk: enough to keep `max_concurrency` workers busy,
    no more than MAX_BATCHES of them, and no larger than MAX_BATCH_SIZE unless that limit forces it.
    """
    if total_chunks <= 0:
        return []
    size = min(MAX_BATCH_SIZE, math.ceil(total_chunks / max(max_concurrency, 1)))
    size = max(size, math.ceil(total_chunks / MAX_BATCHES), 1)
    return [(start, min(start + size, total_chunks)) for start in range(0, total_chunks, size)]


def hold_poll_seconds(held_seconds: float) -> float:
    """The wait before a held job is looked at again: a tenth of how long it has been held."""
    return min(HOLD_POLL_MAX_SECONDS, max(HOLD_POLL_MIN_SECONDS, held_seconds / 10.0))


def queue_poll_seconds(position: int) -> float:
    """Jobs near the head of the queue look more often than jobs far behind."""
    return min(QUEUE_POLL_MAX_SECONDS, QUEUE_POLL_SECONDS * max(position, 1))


def whole_seconds(seconds: float) -> int:
    """Step Functions waits in whole seconds; round up so a wait is never cut short."""
    return max(0, math.ceil(seconds))


def retries_since_review(history: Iterable[JobHistoryItem], target: JobStatus) -> int:
    """How often the job moved to `target` since it was last resumed (a person looked at it)."""
    count = 0
    for item in sorted(history, key=lambda h: h.version):
        if item.to_state == S.RESUMING:
            count = 0
        elif item.to_state == target:
            count += 1
    return count


def recoveries(history: Iterable[JobHistoryItem]) -> int:
    """How often the sweeper has had to recover the job."""
    return sum(1 for item in history if item.to_state == S.RECOVERING)
