"""`GET /reports/jobs`: the job performance report, for operators only.

`register_routes(app)` adds the route to the HTTP API; `handler` serves it as a Lambda of its
own behind the same authorizer.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AwareDatetime

from jobstate.handlers.access import MissingIdentityError, caller_from_event
from jobstate.handlers.http_errors import ForbiddenError, UnauthorizedError, documented_errors
from jobstate.models import format_timestamp
from jobstate.models.report import JobPerformanceReport, JobReportRequest
from jobstate.service.reports import JobPerformanceMonitor

_monitor: JobPerformanceMonitor | None = None
_monitor_lock = threading.Lock()
_app: APIGatewayRestResolver | None = None


def monitor() -> JobPerformanceMonitor:
    global _monitor
    with _monitor_lock:
        if _monitor is None:
            _monitor = JobPerformanceMonitor()
        return _monitor


def use_monitor(value: JobPerformanceMonitor | None) -> None:
    """Serve reports from `value` (None: build one from the environment on first use)."""
    global _monitor
    with _monitor_lock:
        _monitor = value


def register_routes(app: APIGatewayRestResolver) -> None:
    @app.get(
        "/reports/jobs",
        operation_id="getJobReport",
        summary="Job performance report for a range of creation dates (operators only)",
        tags=["reports"],
        responses={
            200: {
                "description": "OK",
                "content": {"application/json": {"model": JobPerformanceReport}},
            },
            **documented_errors(400, 401, 403, 404, 413, 422, 500),
        },
    )
    def job_report(
        start_date: Annotated[AwareDatetime, Query(alias="startDate")],
        end_date: Annotated[AwareDatetime, Query(alias="endDate")],
    ) -> JobPerformanceReport:
        try:
            caller = caller_from_event(app.current_event.raw_event)
        except MissingIdentityError as error:
            raise UnauthorizedError(str(error)) from error
        if not caller.operator:
            raise ForbiddenError("only operators may read job reports")
        request = JobReportRequest(start_date=start_date, end_date=end_date)
        return monitor().generate_job_report(request)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _app
    if _app is None:
        from jobstate.handlers import http_errors

        resolver = APIGatewayRestResolver(enable_validation=True)
        http_errors.install(resolver)
        register_routes(resolver)
        _app = resolver
    result: dict[str, Any] = _app.resolve(event, context)
    return result


def run_report(start: str, end: str, *, as_json: bool) -> int:
    """`jobstate report`: print the report for [start, end) as a table, or as JSON."""
    import json
    import sys

    from pydantic import ValidationError

    try:
        request = JobReportRequest(start_date=_parse_date(start), end_date=_parse_date(end))
    except (ValueError, ValidationError) as error:
        message = error.errors()[0]["msg"] if isinstance(error, ValidationError) else str(error)
        print(f"jobstate report: {message}", file=sys.stderr)
        return 2
    report = monitor().generate_job_report(request)
    print(json.dumps(report.to_json_dict(), indent=2) if as_json else render_table(report))
    return 0


def _parse_date(text: str) -> datetime:
    """ISO 8601 date or time; without a zone it is UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date or time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def render_table(report: JobPerformanceReport) -> str:
    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:,.1f} s"

    period = report.report_period
    percentiles = report.processing_time_percentiles
    throughput = report.throughput_metrics
    errors = report.error_analysis
    costs = report.cost_analysis
    rate = errors.retry_success_rate
    rows: list[tuple[str, str]] = [
        ("period", f"{format_timestamp(period.start_date)} to {format_timestamp(period.end_date)}"),
        ("jobs", str(report.total_jobs)),
        ("completed", str(report.completed_jobs)),
        ("failed", str(report.failed_jobs)),
        ("cancelled", str(report.cancelled_jobs)),
        ("active", str(report.active_jobs)),
        ("average processing time", seconds(report.average_processing_time)),
        (
            "p50 / p90 / p95 / p99",
            " / ".join(
                seconds(v)
                for v in (percentiles.p50, percentiles.p90, percentiles.p95, percentiles.p99)
            ),
        ),
        ("words per hour", f"{throughput.words_per_hour:,.1f}"),
        ("jobs per hour", f"{throughput.jobs_per_hour:,.3f}"),
        (
            "peak hours (UTC)",
            ", ".join(f"{p.hour:02d}:00 ({p.jobs})" for p in throughput.peak_hours) or "-",
        ),
        (
            "top error codes",
            ", ".join(f"{e.code} ({e.count})" for e in errors.top_error_codes) or "-",
        ),
        (
            "errors by stage",
            ", ".join(f"{k} ({v})" for k, v in errors.errors_by_stage.items()) or "-",
        ),
        ("retry success rate", "-" if rate is None else f"{rate:.1%}"),
        ("job / chunk retries", f"{errors.job_retries} / {errors.chunk_retries}"),
        ("total cost", f"{costs.total_cost:,.4f}"),
        ("average cost per job", f"{costs.average_cost_per_job:,.4f}"),
        (
            "cost by language",
            ", ".join(f"{k} {v:,.4f}" for k, v in costs.cost_by_language.items()) or "-",
        ),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"{label.ljust(width)}  {value}" for label, value in rows]
    lines.append("")
    lines.append("recommendations:" if report.recommendations else "recommendations: none")
    lines += [
        f"  - {r.message} (observed {r.observed:.1%}, threshold {r.threshold:.0%})"
        for r in report.recommendations
    ]
    return "\n".join(lines)
