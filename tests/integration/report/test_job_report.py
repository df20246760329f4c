"""The job performance report against moto's server, over jobs with known outcomes and costs."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from jobstate import (
    ActorRole,
    ChunkSpec,
    ChunkStatus,
    ChunkStatusUpdate,
    ErrorInfo,
    JobStateManager,
    JobStatus,
    StateTransitionContext,
)
from jobstate.cli import main as cli
from jobstate.handlers import report as report_handler
from jobstate.handlers.report import render_table
from jobstate.local.moto_server import MotoServer
from jobstate.models.report import JobReportRequest
from jobstate.service.reports import JobPerformanceMonitor
from jobstate.store import keys
from jobstate.store.client import create_table
from tests.support import counting, create_request

S = JobStatus
DAY = datetime(2026, 1, 10, tzinfo=UTC)
TO_TRANSLATING = [
    (S.CREATED, S.VALIDATING),
    (S.VALIDATING, S.VALIDATED),
    (S.VALIDATED, S.QUEUED),
    (S.QUEUED, S.CHUNKING),
]


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


class Builder:
    """Jobs whose creation time, outcome, duration and cost the test chooses."""

    def __init__(self, manager: JobStateManager, clock: Clock) -> None:
        self.manager = manager
        self.clock = clock

    def move(self, job_id: str, source: S, target: S, error: str | None = None) -> None:
        # As JobErrorRecovery does, the error names the stage it happened in.
        info = ErrorInfo(code=error, stage=source) if error else None
        context = StateTransitionContext(reason="test", error=info)
        self.manager.transition_job_state(job_id, source, target, context)

    def translating(self, created: datetime, language: str, chunks: int) -> str:
        self.clock.now = created
        job_id = self.manager.create_job(create_request(targetLanguage=language)).job_id
        for source, target in TO_TRANSLATING:
            self.move(job_id, source, target)
        specs = [ChunkSpec(index=i, token_count=100) for i in range(chunks)]
        self.manager.register_chunks(job_id, specs)
        self.move(job_id, S.CHUNKING, S.CHUNKED)
        self.move(job_id, S.CHUNKED, S.TRANSLATING)
        return job_id

    def chunk(self, job_id: str, index: int, cost: float) -> None:
        update = ChunkStatusUpdate(status=ChunkStatus.COMPLETED, cost=cost)
        self.manager.update_chunk_status(job_id, keys.chunk_id(job_id, index), index, update)

    def completed(
        self, created: datetime, seconds: int, language: str, costs: list[float], retried: bool
    ) -> str:
        job_id = self.translating(created, language, len(costs))
        if retried:
            self.move(job_id, S.TRANSLATING, S.RETRYING, "RATE_LIMIT_EXCEEDED")
            self.move(job_id, S.RETRYING, S.TRANSLATING)
        for index, cost in enumerate(costs):
            self.chunk(job_id, index, cost)
        self.move(job_id, S.ASSEMBLING, S.FINALIZING)
        self.clock.now = created + timedelta(seconds=seconds)
        self.move(job_id, S.FINALIZING, S.COMPLETED)
        return job_id


@pytest.fixture(scope="module")
def jobs(moto_server: MotoServer) -> JobStateManager:
    """Eight jobs; seven created on DAY, one the day before (outside the report).

    Built once for the module (the tests only read them), on a table of its own.
    """
    table = f"report-{uuid.uuid4().hex[:10]}"
    create_table(boto3.client("dynamodb"), table)
    clock = Clock(DAY)
    manager = JobStateManager(table_name=table, clock=clock)
    build = Builder(manager, clock)
    at = lambda hour, minute=0: DAY + timedelta(hours=hour, minutes=minute)  # noqa: E731
    build.completed(at(9), 600, "es", [0.5, 0.5], retried=False)
    build.completed(at(9, 30), 1200, "es", [2.0], retried=False)
    build.completed(at(10), 5400, "fr", [0.5], retried=False)
    build.completed(at(9, 45), 1800, "es", [1.0, 0.5], retried=True)
    failed = build.translating(at(10, 15), "fr", 2)
    build.move(failed, S.TRANSLATING, S.RETRYING, "TIMEOUT")
    build.move(failed, S.RETRYING, S.TRANSLATING)
    build.chunk(failed, 0, 0.25)
    build.move(failed, S.TRANSLATING, S.FAILED, "PROVIDER_ERROR")
    clock.now = at(11)
    cancelled = manager.create_job(create_request(targetLanguage="de")).job_id
    owner = StateTransitionContext(reason="no longer needed", role=ActorRole.OWNER)
    manager.transition_job_state(cancelled, S.CREATED, S.CANCELLED, owner)
    clock.now = at(12)
    active = manager.create_job(create_request(targetLanguage="de")).job_id
    build.move(active, S.CREATED, S.VALIDATING)
    clock.now = DAY - timedelta(milliseconds=1)  # the day before: not in the report
    manager.create_job(create_request(targetLanguage="es"))
    return manager


def request() -> JobReportRequest:
    return JobReportRequest(start_date=DAY, end_date=DAY + timedelta(days=1))


def test_the_report_figures_match_the_jobs_built(jobs: JobStateManager) -> None:
    report = JobPerformanceMonitor(manager=jobs).generate_job_report(request())

    assert report.report_period.hours == 24
    assert (report.total_jobs, report.completed_jobs, report.failed_jobs) == (7, 4, 1)
    assert (report.cancelled_jobs, report.active_jobs) == (1, 1)
    assert report.jobs_by_status == {"CANCELLED": 1, "COMPLETED": 4, "FAILED": 1, "VALIDATING": 1}
    # Completed durations 600, 1200, 1800, 5400: mean 2250; nearest-rank percentiles.
    assert report.average_processing_time == 2250
    p = report.processing_time_percentiles
    assert (p.p50, p.p90, p.p95, p.p99) == (1200, 5400, 5400, 5400)
    throughput = report.throughput_metrics
    assert throughput.words_per_hour == pytest.approx(4 * 12000 / 24)
    assert throughput.jobs_per_hour == pytest.approx(7 / 24, abs=1e-3)
    assert [(h.hour, h.jobs) for h in throughput.peak_hours] == [(9, 3), (10, 2), (11, 1)]
    errors = report.error_analysis
    assert [(e.code, e.count) for e in errors.top_error_codes] == [
        ("PROVIDER_ERROR", 1),
        ("RATE_LIMIT_EXCEEDED", 1),
    ]
    assert errors.errors_by_stage == {"TRANSLATING": 2}
    assert errors.retry_success_rate == 0.5  # of two retried jobs, one completed
    assert (errors.retried_jobs, errors.job_retries) == (2, 2)
    costs = report.cost_analysis
    assert costs.total_cost == pytest.approx(5.25)
    assert costs.average_cost_per_job == pytest.approx(5.25 / 7, abs=1e-6)
    assert costs.cost_by_language == pytest.approx({"de": 0.0, "es": 4.5, "fr": 0.75})
    # Failure rate 1/7 > 5%; one slow job (5400 > 2 x 2250) is 1/7 > 10%; 2/7 retried > 20%.
    assert [r.code for r in report.recommendations] == [
        "HIGH_FAILURE_RATE",
        "SLOW_JOBS",
        "HIGH_RETRY_RATE",
    ]
    assert [r.threshold for r in report.recommendations] == [0.05, 0.10, 0.20]
    table = render_table(report)
    assert "PROVIDER_ERROR (1)" in table and "09:00 (3)" in table and "es 4.5000" in table


def test_the_report_pages_through_the_status_index_and_never_scans(
    jobs: JobStateManager,
) -> None:
    monitor = JobPerformanceMonitor(manager=jobs, page_size=1)
    with counting(jobs.client) as counter:
        report = monitor.generate_job_report(request())
    assert report.total_jobs == 7
    assert set(counter.calls) == {"Query", "BatchGetItem"}
    # One Query per (status, rank) pair; the four completed jobs (one rank) take four pages.
    assert counter.calls["Query"] == len(S) * 3 + 3
    # The index holds keys and filter fields: each page that found jobs fetches them by key.
    assert counter.calls["BatchGetItem"] == 7


def test_an_empty_range_reports_zeros_and_no_recommendations(jobs: JobStateManager) -> None:
    start = DAY + timedelta(days=30)
    empty = JobReportRequest(start_date=start, end_date=start + timedelta(hours=1))
    report = JobPerformanceMonitor(manager=jobs).generate_job_report(empty)
    assert report.total_jobs == 0 and report.recommendations == []
    assert report.average_processing_time is None
    assert report.cost_analysis.average_cost_per_job == 0.0


def test_report_requests_need_a_real_range() -> None:
    with pytest.raises(ValueError, match="after startDate"):
        JobReportRequest(start_date=DAY, end_date=DAY)
    with pytest.raises(ValueError, match="at most 366 days"):
        JobReportRequest(start_date=DAY, end_date=DAY + timedelta(days=400))


def test_the_cli_prints_the_report_and_refuses_a_backward_range(
    jobs: JobStateManager, capsys: pytest.CaptureFixture[str]
) -> None:
    report_handler.use_monitor(JobPerformanceMonitor(manager=jobs))
    try:
        assert cli(["report", "--start", "2026-01-10", "--end", "2026-01-11", "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert cli(["report", "--start", "2026-01-11", "--end", "2026-01-10"]) == 2
        refused = capsys.readouterr().err
        assert cli(["report", "--start", "yesterday", "--end", "2026-01-10"]) == 2
        unreadable = capsys.readouterr().err
    finally:
        report_handler.use_monitor(None)
    assert data["totalJobs"] == 7 and data["costAnalysis"]["costByLanguage"]["es"] == 4.5
    assert "endDate must be after startDate" in refused
    assert "not an ISO 8601 date" in unreadable


def api_event(query: dict[str, str], groups: str | None) -> dict[str, Any]:
    claims: dict[str, str] = {"sub": "someone"}
    if groups is not None:
        claims["cognito:groups"] = groups
    return {
        "resource": "/reports/jobs",
        "path": "/reports/jobs",
        "httpMethod": "GET",
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()},
        "pathParameters": None,
        "requestContext": {
            "requestId": "r-1",
            "resourcePath": "/reports/jobs",
            "httpMethod": "GET",
            "authorizer": {"claims": claims},
        },
        "body": None,
        "isBase64Encoded": False,
    }


RANGE = {"startDate": "2026-01-10T00:00:00Z", "endDate": "2026-01-11T00:00:00Z"}


def test_get_reports_jobs_is_for_operators_only(jobs: JobStateManager) -> None:
    from jobstate.handlers import api

    report_handler.use_monitor(JobPerformanceMonitor(manager=jobs))
    try:
        ok = api.handler(api_event(RANGE, "[translators, operators]"), None)
        alone = report_handler.handler(api_event(RANGE, "translators"), None)
        owner = api.handler(api_event(RANGE, "translators"), None)
        nobody = api.handler(api_event(RANGE, None), None)
        backwards = {"startDate": RANGE["endDate"], "endDate": RANGE["startDate"]}
        invalid = api.handler(api_event(backwards, "operators"), None)
        missing = api.handler(api_event({"startDate": "x"}, "operators"), None)
    finally:
        report_handler.use_monitor(None)
    assert ok["statusCode"] == 200 and json.loads(ok["body"])["completedJobs"] == 4
    assert owner["statusCode"] == 403 and nobody["statusCode"] == 403
    assert alone["statusCode"] == 403  # the report's own Lambda checks the same way
    assert invalid["statusCode"] in (400, 422) and missing["statusCode"] in (400, 422)
