"""Pure workflow rules: fan-out ranges, waits, review budgets, and the recovery policy they use."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import pytest

from jobstate.lifecycle.recovery import (
    RATE_LIMIT_BACKOFF,
    ErrorScope,
    RecoveryActionKind,
    classify_error,
    determine_recovery_strategy,
    full_jitter_delay,
)
from jobstate.lifecycle.states import JobStatus
from jobstate.models import JobHistoryItem
from jobstate.workflow.pipeline import MAX_BATCH_SIZE, MAX_BATCHES
from jobstate.workflow.policy import (
    hold_poll_seconds,
    plan_batches,
    queue_poll_seconds,
    retries_since_review,
    whole_seconds,
)
from jobstate.workflow.tasks import Batch, StepResult

S = JobStatus


@pytest.mark.parametrize(
    ("total", "concurrency"), [(1, 10), (8, 3), (100, 10), (10_000, 10), (1_000_000, 50)]
)
def test_batches_cover_every_chunk_once(total: int, concurrency: int) -> None:
    ranges = plan_batches(total, concurrency)

    covered = [i for start, end in ranges for i in range(start, end)]
    assert covered == list(range(total))
    assert len(ranges) <= MAX_BATCHES
    if total <= MAX_BATCHES * MAX_BATCH_SIZE:
        assert max(end - start for start, end in ranges) <= MAX_BATCH_SIZE


def test_small_jobs_spread_over_the_workers() -> None:
    assert plan_batches(8, 3) == [(0, 3), (3, 6), (6, 8)]
    assert plan_batches(0, 3) == []


def test_the_plan_of_a_ten_thousand_chunk_job_fits_a_state_payload() -> None:
    ranges = plan_batches(10_000, 10)
    result = StepResult(
        job_id="JOB_" + "A" * 24,
        next="Translate",
        batches=[Batch(start=a, end=b) for a, b in ranges],
    )

    size = len(json.dumps(result.payload()).encode())

    assert size < 256 * 1024 / 4  # far inside Step Functions' 256 KiB
    assert len(ranges) == 400


def test_waits_grow_and_are_capped() -> None:
    assert hold_poll_seconds(0) == 5.0
    assert hold_poll_seconds(600) == 60.0
    assert hold_poll_seconds(10**6) == 300.0
    assert queue_poll_seconds(1) < queue_poll_seconds(5) <= 120.0
    assert queue_poll_seconds(1000) == 120.0
    assert whole_seconds(0.001) == 1 and whole_seconds(0) == 0 and whole_seconds(2.0) == 2


def _history(*states: JobStatus) -> list[JobHistoryItem]:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        JobHistoryItem(job_id="J", version=v, to_state=s, at=at, actor="SYSTEM", reason="r")
        for v, s in enumerate(states, start=1)
    ]


def test_retries_are_counted_since_the_last_resume() -> None:
    history = _history(S.TRANSLATING, S.RATE_LIMITED, S.TRANSLATING, S.RATE_LIMITED, S.PAUSED)
    assert retries_since_review(history, S.RATE_LIMITED) == 2

    resumed = _history(
        S.TRANSLATING, S.RATE_LIMITED, S.PAUSED, S.RESUMING, S.TRANSLATING, S.RATE_LIMITED
    )
    assert retries_since_review(resumed, S.RATE_LIMITED) == 1
    assert retries_since_review(resumed, S.RETRYING) == 0


def test_a_rate_limit_waits_within_the_cap_then_asks_for_review() -> None:
    rate_limit = classify_error("RATE_LIMITED")
    rng = random.Random(7)
    delays = [
        determine_recovery_strategy(
            rate_limit, scope=ErrorScope.CHUNK, current_retries=n, max_retries=3, rng=rng
        )
        for n in range(3)
    ]
    exhausted = determine_recovery_strategy(
        rate_limit, scope=ErrorScope.CHUNK, current_retries=3, max_retries=3
    )

    assert all(d.action == RecoveryActionKind.RETRY_DELAYED for d in delays)
    assert all(0 <= d.delay_seconds <= RATE_LIMIT_BACKOFF.cap_seconds for d in delays)
    assert exhausted.action == RecoveryActionKind.PAUSE_AND_REVIEW


def test_content_errors_fail_at_once() -> None:
    strategy = determine_recovery_strategy(
        classify_error("INVALID_CONTENT"), scope=ErrorScope.CHUNK, current_retries=0, max_retries=3
    )
    assert strategy.action == RecoveryActionKind.FAIL_PERMANENT


def test_full_jitter_spreads_delays_up_to_the_cap() -> None:
    rng = random.Random(1)
    delays = [full_jitter_delay(10, RATE_LIMIT_BACKOFF, rng) for _ in range(200)]
    assert max(delays) <= RATE_LIMIT_BACKOFF.cap_seconds
    assert min(delays) < RATE_LIMIT_BACKOFF.cap_seconds / 4  # not all at the ceiling
