"""Alarms watch metrics that exist: jobstate's own (from `jobstate.metric_names`) or AWS's."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from jobstate import metric_names
from tests.infra.conftest import Synthesized

SOURCE = Path(metric_names.__file__).resolve().parent
AWS_METRICS = {
    "AWS/Lambda": {"Errors", "Throttles"},
    "AWS/ApiGateway": {"5XXError"},
    "AWS/States": {"ExecutionsFailed", "ExecutionsTimedOut"},
    "AWS/SQS": {"ApproximateNumberOfMessagesVisible"},
}


def _constants() -> dict[str, str]:
    return {
        name: value
        for name, value in vars(metric_names).items()
        if name.isupper() and isinstance(value, str) and name != "NAMESPACE"
    }


def _emitted_names() -> set[str]:
    """Metric names whose constant some module other than metric_names actually uses."""
    code = "\n".join(
        path.read_text() for path in SOURCE.rglob("*.py") if path.name != "metric_names.py"
    )
    return {
        value
        for constant, value in _constants().items()
        if re.search(rf"\b(?:names|metric_names)\.{constant}\b", code)
    }


def _watched(alarm: dict[str, Any]) -> list[tuple[str, str]]:
    properties = alarm["Properties"]
    if "MetricName" in properties:
        return [(properties["Namespace"], properties["MetricName"])]
    return [
        (query["MetricStat"]["Metric"]["Namespace"], query["MetricStat"]["Metric"]["MetricName"])
        for query in properties["Metrics"]
        if "MetricStat" in query
    ]


def test_each_alarm_watches_a_metric_the_code_emits(synthesized: Synthesized) -> None:
    emitted = _emitted_names()
    alarms = synthesized.resources("dev", "AWS::CloudWatch::Alarm")
    own = 0
    for logical_id, alarm in alarms.items():
        watched = _watched(alarm)
        assert watched, logical_id
        for namespace, name in watched:
            if namespace == metric_names.NAMESPACE:
                assert name in emitted, (logical_id, name)
                own += 1
            else:
                assert name in AWS_METRICS[namespace], (logical_id, namespace, name)
    assert own >= 5


def test_the_alarms_the_operations_notes_ask_for_exist(synthesized: Synthesized) -> None:
    watched = {
        name
        for alarm in synthesized.resources("dev", "AWS::CloudWatch::Alarm").values()
        for _, name in _watched(alarm)
    }
    for required in (
        metric_names.JOBS_FAILED,
        metric_names.STALLED_JOBS,
        metric_names.RELAY_FAILURES,
        metric_names.RELAY_DEAD_LETTERS,
        "5XXError",
        "Errors",
        "Throttles",
        "ExecutionsFailed",
    ):
        assert required in watched, required
    # The design's alarm on JobsCreated watched the wrong metric.
    assert metric_names.JOBS_CREATED not in watched


def test_failure_rate_divides_failed_by_settled_jobs(synthesized: Synthesized) -> None:
    alarms = synthesized.resources("dev", "AWS::CloudWatch::Alarm")
    (rate,) = [a for a in alarms.values() if "Metrics" in a["Properties"]]
    expression = next(q["Expression"] for q in rate["Properties"]["Metrics"] if "Expression" in q)
    inputs = {
        q["Id"]: q["MetricStat"]["Metric"]["MetricName"]
        for q in rate["Properties"]["Metrics"]
        if "MetricStat" in q
    }

    assert inputs == {"failed": metric_names.JOBS_FAILED, "completed": metric_names.JOBS_COMPLETED}
    assert "100 * FILL(failed, 0) /" in expression


def test_every_alarm_notifies_the_encrypted_topic(synthesized: Synthesized) -> None:
    (topic_id, topic), *_ = synthesized.resources("dev", "AWS::SNS::Topic").items()
    assert "KmsMasterKeyId" in topic["Properties"]
    for alarm in synthesized.resources("dev", "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]


def test_dashboard_shows_jobs_and_api_latency(synthesized: Synthesized) -> None:
    (dashboard,) = synthesized.resources("dev", "AWS::CloudWatch::Dashboard").values()
    body = str(dashboard["Properties"]["DashboardBody"])
    for name in (
        metric_names.THROUGHPUT_WORDS_PER_MINUTE,
        metric_names.JOB_DURATION,
        metric_names.JOBS_FAILED,
        "Latency",
    ):
        assert name in body, name


def test_alarm_dimensions_are_a_dimension_set_the_code_emits(
    synthesized: Synthesized, capsys: pytest.CaptureFixture[str]
) -> None:
    from jobstate.events.metrics import count, emit

    functions = synthesized.resources("dev", "AWS::Lambda::Function").values()
    (service,) = {
        f["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] for f in functions
    }
    emit([count(metric_names.JOBS_FAILED, Stage="TRANSLATING")], service=service)
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    (directive,) = record["_aws"]["CloudWatchMetrics"]
    emitted_sets = {
        frozenset((name, record[name]) for name in names) for names in directive["Dimensions"]
    }

    checked = 0
    for alarm in synthesized.resources("dev", "AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        queries = properties.get("Metrics") or [{"MetricStat": {"Metric": properties}}]
        for query in queries:
            metric = query.get("MetricStat", {}).get("Metric", {})
            if metric.get("Namespace") == metric_names.NAMESPACE:
                dimensions = frozenset((d["Name"], d["Value"]) for d in metric["Dimensions"])
                assert dimensions in emitted_sets, metric["MetricName"]
                checked += 1
    assert checked >= 5
