"""Error classification and recovery strategy as pure functions.

Delays use capped exponential backoff with full jitter: the delay for attempt n is drawn uniformly
from [0, min(cap, base * 2**n)], so clients that failed together do not retry together. The random
source is a parameter, which keeps tests deterministic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum


class ErrorCategory(StrEnum):
    RATE_LIMIT = "RATE_LIMIT"
    SERVICE_ERROR = "SERVICE_ERROR"
    AUTHENTICATION = "AUTHENTICATION"
    CONTENT_ERROR = "CONTENT_ERROR"
    SYSTEM_ERROR = "SYSTEM_ERROR"
    UNKNOWN = "UNKNOWN"


class Severity(StrEnum):
    TEMPORARY = "TEMPORARY"
    PERMANENT = "PERMANENT"


class ErrorScope(StrEnum):
    JOB = "JOB"
    CHUNK = "CHUNK"


class RecoveryActionKind(StrEnum):
    RETRY_IMMEDIATE = "RETRY_IMMEDIATE"
    RETRY_DELAYED = "RETRY_DELAYED"
    RETRY_PARTIAL = "RETRY_PARTIAL"
    PAUSE_AND_REVIEW = "PAUSE_AND_REVIEW"
    FAIL_PERMANENT = "FAIL_PERMANENT"
    ESCALATE = "ESCALATE"


@dataclass(frozen=True)
class BackoffPolicy:
    base_seconds: float
    cap_seconds: float


@dataclass(frozen=True)
class ErrorClassification:
    category: ErrorCategory
    severity: Severity
    retryable: bool
    backoff: BackoffPolicy | None


@dataclass(frozen=True)
class RecoveryStrategy:
    action: RecoveryActionKind
    delay_seconds: float = 0.0


RATE_LIMIT_BACKOFF = BackoffPolicy(base_seconds=60.0, cap_seconds=300.0)
SERVICE_BACKOFF = BackoffPolicy(base_seconds=30.0, cap_seconds=300.0)
SYSTEM_BACKOFF = BackoffPolicy(base_seconds=120.0, cap_seconds=600.0)
UNKNOWN_BACKOFF = BackoffPolicy(base_seconds=60.0, cap_seconds=300.0)

# Consecutive immediate retries of a system error before a person is asked to look.
SYSTEM_IMMEDIATE_RETRIES = 2

_CLASSES: dict[str, ErrorClassification] = {}


def _register(codes: tuple[str, ...], classification: ErrorClassification) -> None:
    for code in codes:
        _CLASSES[code] = classification


_register(
    ("RATE_LIMITED", "TOO_MANY_REQUESTS"),
    ErrorClassification(ErrorCategory.RATE_LIMIT, Severity.TEMPORARY, True, RATE_LIMIT_BACKOFF),
)
_register(
    ("SERVICE_UNAVAILABLE", "TIMEOUT"),
    ErrorClassification(ErrorCategory.SERVICE_ERROR, Severity.TEMPORARY, True, SERVICE_BACKOFF),
)
_register(
    ("UNAUTHORIZED", "FORBIDDEN"),
    ErrorClassification(ErrorCategory.AUTHENTICATION, Severity.PERMANENT, False, None),
)
_register(
    ("CONTENT_TOO_LARGE", "INVALID_CONTENT"),
    ErrorClassification(ErrorCategory.CONTENT_ERROR, Severity.PERMANENT, False, None),
)
_register(
    ("INTERNAL_ERROR", "STORAGE_ERROR"),
    ErrorClassification(ErrorCategory.SYSTEM_ERROR, Severity.TEMPORARY, True, SYSTEM_BACKOFF),
)
_UNKNOWN = ErrorClassification(ErrorCategory.UNKNOWN, Severity.TEMPORARY, True, UNKNOWN_BACKOFF)

KNOWN_ERROR_CODES: frozenset[str] = frozenset(_CLASSES)


def classify_error(code: str) -> ErrorClassification:
    """The category of an error code; unknown codes are treated as temporary."""
    return _CLASSES.get(code.upper(), _UNKNOWN)


def full_jitter_delay(
    attempt: int, policy: BackoffPolicy, rng: random.Random | None = None
) -> float:
    """A delay drawn from [0, min(cap, base * 2**attempt)]; `attempt` counts from 0."""
    source = rng if rng is not None else random.Random()
    exponent = min(max(attempt, 0), 32)  # 2**32 is far past any cap; avoids float overflow
    ceiling = min(policy.cap_seconds, policy.base_seconds * (2.0**exponent))
    return source.uniform(0.0, ceiling)


def determine_recovery_strategy(
    classification: ErrorClassification,
    *,
    scope: ErrorScope,
    current_retries: int,
    max_retries: int,
    rng: random.Random | None = None,
    remaining_budget_seconds: float | None = None,
) -> RecoveryStrategy:
    """What to do about an error, given how many retries the job (or chunk) has already used.

    Exhausted retries of rate-limit or service errors pause the job for review rather than fail
    it: the work is fine and the provider may recover. A delay never exceeds the remaining budget
    of the enclosing task, when one is given.
    """
    if current_retries >= max_retries:
        if classification.category in (ErrorCategory.RATE_LIMIT, ErrorCategory.SERVICE_ERROR):
            return RecoveryStrategy(RecoveryActionKind.PAUSE_AND_REVIEW)
        return RecoveryStrategy(RecoveryActionKind.FAIL_PERMANENT)
    if not classification.retryable:
        return RecoveryStrategy(RecoveryActionKind.FAIL_PERMANENT)
    if classification.category in (ErrorCategory.RATE_LIMIT, ErrorCategory.SERVICE_ERROR):
        assert classification.backoff is not None
        delay = full_jitter_delay(current_retries, classification.backoff, rng)
        if remaining_budget_seconds is not None:
            delay = min(delay, max(remaining_budget_seconds, 0.0))
        return RecoveryStrategy(RecoveryActionKind.RETRY_DELAYED, delay)
    if scope == ErrorScope.CHUNK:
        return RecoveryStrategy(RecoveryActionKind.RETRY_PARTIAL)
    if classification.category == ErrorCategory.SYSTEM_ERROR:
        if current_retries < SYSTEM_IMMEDIATE_RETRIES:
            return RecoveryStrategy(RecoveryActionKind.RETRY_IMMEDIATE)
        return RecoveryStrategy(RecoveryActionKind.ESCALATE)
    return RecoveryStrategy(RecoveryActionKind.RETRY_IMMEDIATE)
