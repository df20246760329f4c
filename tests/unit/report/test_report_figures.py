"""The report's pure figures: percentiles, and the recommendations at their thresholds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from jobstate import JobStatus, TranslationJobRecord
from jobstate.service.reports import build_report, percentile, recommendations
from tests.unit.events.records import T0, job

S = JobStatus


def jobs_with(count: int, **overrides: Any) -> list[TranslationJobRecord]:
    return [job(f"JOB_{overrides.get('status', 'X')}_{n}", **overrides) for n in range(count)]


@pytest.mark.parametrize(
    ("rank", "expected"), [(0, 1.0), (10, 1.0), (50, 5.0), (90, 9.0), (95, 10.0), (100, 10.0)]
)
def test_nearest_rank_percentiles(rank: float, expected: float) -> None:
    assert percentile([float(v) for v in range(1, 11)], rank) == expected


def test_percentile_of_nothing_is_none() -> None:
    assert percentile([], 50) is None


def test_a_failure_rate_at_the_threshold_is_not_flagged_and_above_it_is() -> None:
    at = jobs_with(19, status=S.COMPLETED) + jobs_with(1, status=S.FAILED)  # exactly 5%
    above = jobs_with(18, status=S.COMPLETED) + jobs_with(2, status=S.FAILED)
    assert [r.code for r in recommendations(at, None)] == []
    [flag] = recommendations(above, None)
    assert (flag.code, flag.observed, flag.threshold) == ("HIGH_FAILURE_RATE", 0.1, 0.05)


def test_slow_jobs_are_those_over_twice_the_average() -> None:
    quick = jobs_with(8, status=S.COMPLETED, actual_duration=100.0)
    slow = [job(f"JOB_SLOW_{n}", status=S.COMPLETED, actual_duration=1000.0) for n in range(2)]
    # average 280; 1000 > 560 for 2 of 10 jobs = 20% > 10%
    assert [r.code for r in recommendations(quick + slow, 280.0)] == ["SLOW_JOBS"]
    assert recommendations(quick + slow[:1], 1000.0) == []


def test_retry_rate_counts_jobs_retried_at_least_once() -> None:
    retried = jobs_with(3, status=S.COMPLETED, retry_count=2)
    plain = jobs_with(7, status=S.COMPLETED)
    [flag] = recommendations(retried + plain, None)
    assert (flag.code, flag.observed) == ("HIGH_RETRY_RATE", 0.3)
    more = plain + jobs_with(1, status=S.CANCELLED)
    assert recommendations(retried[:2] + more, None) == []  # 2 of 10 is not above 20%


def test_an_empty_period_has_no_figures_to_divide() -> None:
    report = build_report([], T0, T0 + timedelta(hours=2))
    assert report.total_jobs == 0 and report.throughput_metrics.jobs_per_hour == 0
    assert report.error_analysis.retry_success_rate is None
    assert report.processing_time_percentiles.p50 is None
