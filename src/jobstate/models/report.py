"""The job performance report (the design's `generateJobReport`): its request and its figures."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, model_validator

from jobstate.models.base import ApiModel, Timestamp

MAX_REPORT_DAYS = 366


class JobReportRequest(ApiModel):
    """Jobs created from `start_date` (included) to `end_date` (excluded)."""

    start_date: Timestamp
    end_date: Timestamp

    @model_validator(mode="after")
    def _a_real_range(self) -> JobReportRequest:
        if self.end_date <= self.start_date:
            raise ValueError("endDate must be after startDate")
        if self.end_date - self.start_date > timedelta(days=MAX_REPORT_DAYS):
            raise ValueError(f"a report covers at most {MAX_REPORT_DAYS} days")
        return self


class ReportPeriod(ApiModel):
    start_date: Timestamp
    end_date: Timestamp
    hours: float


class ProcessingTimePercentiles(ApiModel):
    """Nearest-rank percentiles of completed jobs' processing time, in seconds."""

    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None


class PeakHour(ApiModel):
    hour: int = Field(ge=0, le=23, description="hour of day, UTC")
    jobs: int = Field(ge=1)


class ThroughputMetrics(ApiModel):
    words_per_hour: float = Field(description="words of completed jobs per hour of the period")
    jobs_per_hour: float = Field(description="jobs created per hour of the period")
    peak_hours: list[PeakHour]


class ErrorCount(ApiModel):
    code: str
    count: int


class ErrorAnalysis(ApiModel):
    top_error_codes: list[ErrorCount]
    errors_by_stage: dict[str, int]
    retry_success_rate: float | None = Field(
        default=None, description="share of settled jobs retried at least once that completed"
    )
    retried_jobs: int
    job_retries: int = Field(description="job-level retries, summed")
    chunk_retries: int = Field(description="chunk-level retries, a separate counter, summed")


class CostAnalysis(ApiModel):
    total_cost: float
    average_cost_per_job: float
    cost_by_language: dict[str, float]


class Recommendation(ApiModel):
    code: str
    message: str
    observed: float
    threshold: float


class JobPerformanceReport(ApiModel):
    report_period: ReportPeriod
    total_jobs: int
    completed_jobs: int
    failed_jobs: int
    cancelled_jobs: int
    active_jobs: int
    jobs_by_status: dict[str, int]
    average_processing_time: float | None = Field(
        default=None, description="seconds from creation to completion, completed jobs only"
    )
    processing_time_percentiles: ProcessingTimePercentiles
    throughput_metrics: ThroughputMetrics
    error_analysis: ErrorAnalysis
    cost_analysis: CostAnalysis
    recommendations: list[Recommendation]
