"""JobPerformanceMonitor: the design's job performance report over a range of creation dates.

`build_report` is pure: the figures and recommendations from a list of jobs. The monitor reads
those jobs from the JobsByStatus index, page by page, and never scans the table.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from jobstate.lifecycle.graph import ACTIVE_STATES, SETTLED_STATES
from jobstate.lifecycle.states import JobStatus
from jobstate.models import TranslationJobRecord
from jobstate.models.report import (
    CostAnalysis,
    ErrorAnalysis,
    ErrorCount,
    JobPerformanceReport,
    JobReportRequest,
    PeakHour,
    ProcessingTimePercentiles,
    Recommendation,
    ReportPeriod,
    ThroughputMetrics,
)
from jobstate.store.manager import JobStateManager
from jobstate.store.report_queries import REPORT_PAGE_SIZE, jobs_created_between

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# The design's thresholds.
FAILURE_RATE_THRESHOLD = 0.05
SLOW_JOB_FACTOR = 2.0  # a job is slow when it took more than this times the average
SLOW_JOB_SHARE_THRESHOLD = 0.10
RETRY_RATE_THRESHOLD = 0.20

TOP_ERROR_CODES = 5
PEAK_HOURS = 3
SECONDS_PER_HOUR = 3600.0
COST_DIGITS = 6
UNSPECIFIED_ERROR = "UNSPECIFIED"


class JobPerformanceMonitor:
    def __init__(
        self,
        *,
        table_name: str | None = None,
        client: DynamoDBClient | None = None,
        manager: JobStateManager | None = None,
        page_size: int = REPORT_PAGE_SIZE,
    ) -> None:
        self.manager = manager or JobStateManager(table_name=table_name, client=client)
        self._page_size = page_size

    def generate_job_report(self, request: JobReportRequest) -> JobPerformanceReport:
        jobs = jobs_created_between(
            self.manager.client,
            self.manager.table,
            request.start_date,
            request.end_date,
            page_size=self._page_size,
        )
        return build_report(jobs, request.start_date, request.end_date)


def build_report(
    jobs: Iterable[TranslationJobRecord], start: datetime, end: datetime
) -> JobPerformanceReport:
    jobs = list(jobs)
    total = len(jobs)
    hours = (end - start).total_seconds() / SECONDS_PER_HOUR
    by_status = Counter(job.status.value for job in jobs)
    completed = [job for job in jobs if job.status == JobStatus.COMPLETED]
    durations = sorted(job.actual_duration for job in completed if job.actual_duration is not None)
    average = sum(durations) / len(durations) if durations else None
    return JobPerformanceReport(
        report_period=ReportPeriod(start_date=start, end_date=end, hours=round(hours, 3)),
        total_jobs=total,
        completed_jobs=len(completed),
        failed_jobs=by_status[JobStatus.FAILED.value],
        cancelled_jobs=by_status[JobStatus.CANCELLED.value],
        active_jobs=sum(1 for job in jobs if job.status in ACTIVE_STATES),
        jobs_by_status=dict(sorted(by_status.items())),
        average_processing_time=round(average, 3) if average is not None else None,
        processing_time_percentiles=ProcessingTimePercentiles(
            p50=percentile(durations, 50),
            p90=percentile(durations, 90),
            p95=percentile(durations, 95),
            p99=percentile(durations, 99),
        ),
        throughput_metrics=ThroughputMetrics(
            words_per_hour=round(sum(job.word_count for job in completed) / hours, 3),
            jobs_per_hour=round(total / hours, 3),
            peak_hours=_peak_hours(jobs),
        ),
        error_analysis=_errors(jobs),
        cost_analysis=_costs(jobs),
        recommendations=recommendations(jobs, average),
    )


def percentile(sorted_values: list[float], rank: float) -> float | None:
    """The nearest-rank percentile: the smallest value with `rank`% of values at or below it."""
    if not sorted_values:
        return None
    position = max(1, math.ceil(rank / 100.0 * len(sorted_values)))
    return sorted_values[position - 1]


def _peak_hours(jobs: list[TranslationJobRecord]) -> list[PeakHour]:
    hours = Counter(job.created_at.hour for job in jobs)
    ranked = sorted(hours.items(), key=lambda item: (-item[1], item[0]))
    return [PeakHour(hour=hour, jobs=count) for hour, count in ranked[:PEAK_HOURS]]


def _errors(jobs: list[TranslationJobRecord]) -> ErrorAnalysis:
    codes: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    for job in jobs:
        error = job.last_error
        if error is None and job.status != JobStatus.FAILED:
            continue
        codes[error.code if error else UNSPECIFIED_ERROR] += 1
        stage = error.stage if error and error.stage else job.work_stage
        stages[stage.value] += 1
    top = sorted(codes.items(), key=lambda item: (-item[1], item[0]))[:TOP_ERROR_CODES]
    retried = [job for job in jobs if job.retry_count > 0]
    settled = [job for job in retried if job.status in SETTLED_STATES]
    succeeded = sum(1 for job in settled if job.status == JobStatus.COMPLETED)
    return ErrorAnalysis(
        top_error_codes=[ErrorCount(code=code, count=count) for code, count in top],
        errors_by_stage=dict(sorted(stages.items())),
        retry_success_rate=round(succeeded / len(settled), 4) if settled else None,
        retried_jobs=len(retried),
        job_retries=sum(job.retry_count for job in jobs),
        chunk_retries=sum(job.chunk_retries for job in jobs),
    )


def _costs(jobs: list[TranslationJobRecord]) -> CostAnalysis:
    by_language: defaultdict[str, float] = defaultdict(float)
    for job in jobs:
        by_language[job.target_language] += job.actual_cost
    total = sum(by_language.values())
    return CostAnalysis(
        total_cost=round(total, COST_DIGITS),
        average_cost_per_job=round(total / len(jobs), COST_DIGITS) if jobs else 0.0,
        cost_by_language={k: round(v, COST_DIGITS) for k, v in sorted(by_language.items())},
    )


def recommendations(
    jobs: list[TranslationJobRecord], average_duration: float | None
) -> list[Recommendation]:
    """The design's three checks, each against the share of all jobs in the period."""
    if not jobs:
        return []
    total = len(jobs)
    found: list[Recommendation] = []
    failure_rate = sum(1 for job in jobs if job.status == JobStatus.FAILED) / total
    if failure_rate > FAILURE_RATE_THRESHOLD:
        found.append(
            Recommendation(
                code="HIGH_FAILURE_RATE",
                message="More than 5% of jobs failed: review error handling and retry logic.",
                observed=round(failure_rate, 4),
                threshold=FAILURE_RATE_THRESHOLD,
            )
        )
    if average_duration:
        limit = SLOW_JOB_FACTOR * average_duration
        slow = sum(1 for job in jobs if job.actual_duration and job.actual_duration > limit)
        if slow / total > SLOW_JOB_SHARE_THRESHOLD:
            found.append(
                Recommendation(
                    code="SLOW_JOBS",
                    message=(
                        "More than 10% of jobs took over twice the average processing time: "
                        "consider a different chunking strategy."
                    ),
                    observed=round(slow / total, 4),
                    threshold=SLOW_JOB_SHARE_THRESHOLD,
                )
            )
    retry_rate = sum(1 for job in jobs if job.retry_count > 0) / total
    if retry_rate > RETRY_RATE_THRESHOLD:
        found.append(
            Recommendation(
                code="HIGH_RETRY_RATE",
                message="More than 20% of jobs were retried: review the provider integration "
                "and rate limiting.",
                observed=round(retry_rate, 4),
                threshold=RETRY_RATE_THRESHOLD,
            )
        )
    return found
