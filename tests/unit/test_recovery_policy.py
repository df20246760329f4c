"""Error classification, recovery strategy and capped full-jitter backoff."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobstate.lifecycle.recovery import (
    RATE_LIMIT_BACKOFF,
    SERVICE_BACKOFF,
    BackoffPolicy,
    ErrorCategory,
    ErrorScope,
    RecoveryActionKind,
    classify_error,
    determine_recovery_strategy,
    full_jitter_delay,
)

A = RecoveryActionKind


@pytest.mark.parametrize(
    ("code", "category", "retryable"),
    [
        ("RATE_LIMITED", ErrorCategory.RATE_LIMIT, True),
        ("TOO_MANY_REQUESTS", ErrorCategory.RATE_LIMIT, True),
        ("SERVICE_UNAVAILABLE", ErrorCategory.SERVICE_ERROR, True),
        ("TIMEOUT", ErrorCategory.SERVICE_ERROR, True),
        ("UNAUTHORIZED", ErrorCategory.AUTHENTICATION, False),
        ("FORBIDDEN", ErrorCategory.AUTHENTICATION, False),
        ("CONTENT_TOO_LARGE", ErrorCategory.CONTENT_ERROR, False),
        ("INVALID_CONTENT", ErrorCategory.CONTENT_ERROR, False),
        ("INTERNAL_ERROR", ErrorCategory.SYSTEM_ERROR, True),
        ("STORAGE_ERROR", ErrorCategory.SYSTEM_ERROR, True),
        ("SOMETHING_NEW", ErrorCategory.UNKNOWN, True),
    ],
)
def test_classification(code: str, category: ErrorCategory, retryable: bool) -> None:
    classification = classify_error(code)
    assert classification.category == category
    assert classification.retryable is retryable


def strategy(code: str, retries: int, scope: ErrorScope = ErrorScope.JOB) -> A:
    return determine_recovery_strategy(
        classify_error(code),
        scope=scope,
        current_retries=retries,
        max_retries=3,
        rng=random.Random(1),
    ).action


def test_exhausted_rate_limit_and_service_errors_pause_for_review() -> None:
    assert strategy("RATE_LIMITED", 3) == A.PAUSE_AND_REVIEW
    assert strategy("SERVICE_UNAVAILABLE", 5) == A.PAUSE_AND_REVIEW
    assert strategy("INTERNAL_ERROR", 3) == A.FAIL_PERMANENT


def test_non_retryable_errors_fail_at_once() -> None:
    assert strategy("INVALID_CONTENT", 0) == A.FAIL_PERMANENT
    assert strategy("UNAUTHORIZED", 0, ErrorScope.CHUNK) == A.FAIL_PERMANENT


def test_other_strategies() -> None:
    assert strategy("RATE_LIMITED", 0) == A.RETRY_DELAYED
    assert strategy("TIMEOUT", 1) == A.RETRY_DELAYED
    assert strategy("STORAGE_ERROR", 0, ErrorScope.CHUNK) == A.RETRY_PARTIAL
    assert strategy("STORAGE_ERROR", 0) == A.RETRY_IMMEDIATE
    assert strategy("STORAGE_ERROR", 2) == A.ESCALATE
    assert strategy("SOMETHING_NEW", 0) == A.RETRY_IMMEDIATE


@given(
    attempt=st.integers(min_value=0, max_value=10_000),
    base=st.floats(min_value=0.001, max_value=1000),
    cap=st.floats(min_value=0.001, max_value=10_000),
    seed=st.integers(),
)
def test_full_jitter_delay_stays_within_its_cap(
    attempt: int, base: float, cap: float, seed: int
) -> None:
    policy = BackoffPolicy(base, cap)
    delay = full_jitter_delay(attempt, policy, random.Random(seed))
    assert 0.0 <= delay <= min(cap, base * 2.0 ** min(attempt, 32))


@given(
    retries=st.integers(min_value=0, max_value=2),
    seed=st.integers(),
    budget=st.floats(min_value=0, max_value=1000),
)
def test_delayed_retries_respect_cap_and_budget(retries: int, seed: int, budget: float) -> None:
    for code, policy in (("RATE_LIMITED", RATE_LIMIT_BACKOFF), ("TIMEOUT", SERVICE_BACKOFF)):
        result = determine_recovery_strategy(
            classify_error(code),
            scope=ErrorScope.CHUNK,
            current_retries=retries,
            max_retries=3,
            rng=random.Random(seed),
            remaining_budget_seconds=budget,
        )
        assert result.action == A.RETRY_DELAYED
        assert 0.0 <= result.delay_seconds <= min(policy.cap_seconds, budget)


def test_the_random_source_makes_delays_reproducible() -> None:
    first = [full_jitter_delay(n, RATE_LIMIT_BACKOFF, random.Random(7)) for n in range(5)]
    second = [full_jitter_delay(n, RATE_LIMIT_BACKOFF, random.Random(7)) for n in range(5)]
    assert first == second
    assert len(set(first)) > 1
