"""How polling replies are cached: ETags from the job's version, private caching, and a poll
interval (Retry-After) that fits the stage the job is in."""

from __future__ import annotations

import math
from datetime import datetime

from jobstate.lifecycle.states import JobStatus

S = JobStatus

QUEUED_POLL_SECONDS = 30
WAITING_POLL_SECONDS = 10  # before the queue: validation takes seconds
PAUSED_POLL_SECONDS = 60
SETTLED_POLL_SECONDS = 300  # nothing changes unless someone retries or cancels
MIN_POLL_SECONDS = 2
MAX_ACTIVE_POLL_SECONDS = 15
UNKNOWN_ETA_POLL_SECONDS = 5
MAX_RATE_LIMIT_POLL_SECONDS = 600
# A poll ten times per remaining ETA: slow for long jobs, quick as the end nears.
POLLS_PER_ETA = 10

_WAITING = frozenset({S.CREATED, S.VALIDATING, S.VALIDATED})
_SETTLED = frozenset({S.COMPLETED, S.CANCELLED, S.FAILED})


def entity_tag(representation: str, version: int) -> str:
    """A strong ETag: one per representation of each job version."""
    return f'"{representation}-{version}"'


def version_of(tag: str) -> int | None:
    """The job version an ETag of ours names (`"progress-7"` -> 7), or None if it is not ours."""
    bare = tag.strip().removeprefix("W/").strip('"')
    _, _, number = bare.rpartition("-")
    return int(number) if number.isdigit() else None


def matches(if_none_match: str | None, tag: str) -> bool:
    """If-None-Match semantics: any listed tag equal to ours (weakly compared), or `*`."""
    if not if_none_match:
        return False
    wanted = tag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def poll_interval_seconds(
    status: JobStatus,
    *,
    remaining_seconds: float | None,
    rate_limited_until: datetime | None,
    now: datetime,
) -> int:
    """How long a client should wait before polling again."""
    if status in _SETTLED:
        return SETTLED_POLL_SECONDS
    if status == S.PAUSED:
        return PAUSED_POLL_SECONDS
    if status == S.QUEUED:
        return QUEUED_POLL_SECONDS
    if status in _WAITING:
        return WAITING_POLL_SECONDS
    if status == S.RATE_LIMITED and rate_limited_until is not None:
        wait = math.ceil((rate_limited_until - now).total_seconds())
        return min(max(wait, MIN_POLL_SECONDS), MAX_RATE_LIMIT_POLL_SECONDS)
    if remaining_seconds is None:
        return UNKNOWN_ETA_POLL_SECONDS
    interval = math.ceil(remaining_seconds / POLLS_PER_ETA)
    return min(max(interval, MIN_POLL_SECONDS), MAX_ACTIVE_POLL_SECONDS)


def caching_headers(tag: str, interval_seconds: int) -> dict[str, str]:
    """Private (one user's job never sits in a shared cache), fresh for half the interval."""
    max_age = max(1, interval_seconds // 2)
    return {
        "ETag": tag,
        "Cache-Control": f"private, max-age={max_age}",
        "Retry-After": str(interval_seconds),
        "Vary": "Authorization",
    }
