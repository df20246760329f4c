"""The relay's metrics, read from the embedded-metric-format JSON its handler prints."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

from jobstate import (
    ActorRole,
    ChunkStatus,
    ChunkStatusUpdate,
    JobStateManager,
    JobStatus,
    StateTransitionContext,
)
from jobstate.handlers import stream_relay
from jobstate.store import keys
from tests.integration.conftest import start_translation
from tests.integration.events.conftest import Queue, run_job
from tests.integration.events.test_outbox_relay import (
    LambdaContext,
    make_relay,
    stream_records,
)
from tests.support import create_request

S = JobStatus


def emf_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]


def values_by_metric(
    lines: list[dict[str, Any]],
) -> dict[str, list[tuple[float, str, dict[str, str]]]]:
    """metric name -> (value, unit, dimensions) for every value printed."""
    found: dict[str, list[tuple[float, str, dict[str, str]]]] = defaultdict(list)
    for line in lines:
        [directive] = line["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "TranslationService/Jobs"
        names = {n for dims in directive["Dimensions"] for n in dims}
        dimensions = {n: line[n] for n in names}
        for metric in directive["Metrics"]:
            values = line[metric["Name"]]
            for value in values if isinstance(values, list) else [values]:
                found[metric["Name"]].append((value, metric["Unit"], dimensions))
    return found


def test_the_relay_handler_prints_job_metrics_without_job_dimensions(
    manager: JobStateManager,
    bus_queue: Queue,
    dead_letter_queue: Queue,
    table_name: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    completed = run_job(manager, 1, targetLanguage="fr")
    failed = manager.create_job(create_request(user="u2")).job_id
    start_translation(manager, failed, 2)
    for status in (ChunkStatus.TRANSLATING, ChunkStatus.FAILED):
        report = ChunkStatusUpdate(status=status)
        manager.update_chunk_status(failed, keys.chunk_id(failed, 0), 0, report)
    assert manager.require_job(failed).status == S.FAILED  # 1 of 2 is past the 10% threshold
    retry = StateTransitionContext(reason="retry", triggered_by="u2", role=ActorRole.OWNER)
    manager.transition_job_state(failed, S.FAILED, S.RETRYING, retry)
    stalled = manager.create_job(create_request(user="u3")).job_id
    start_translation(manager, stalled, 1)
    stall = StateTransitionContext(reason="no activity")
    manager.transition_job_state(stalled, S.TRANSLATING, S.RECOVERING, stall)
    cancelled = manager.create_job(create_request(user="u4")).job_id
    cancel = StateTransitionContext(reason="cancel", triggered_by="u4", role=ActorRole.OWNER)
    manager.transition_job_state(cancelled, S.CREATED, S.CANCELLED, cancel)
    capsys.readouterr()

    monkeypatch.setattr(stream_relay, "_relay", make_relay())
    reply = stream_relay.handler(
        {"Records": stream_records(table_name)},
        LambdaContext(),  # type: ignore[arg-type]
    )

    assert reply == {"batchItemFailures": []}
    metrics = values_by_metric(emf_lines(capsys.readouterr().out))
    assert [v for v, _, _ in metrics["JobsCreated"]] == [1.0] * 4
    [(done, _, done_dims)] = metrics["JobsCompleted"]
    assert done == 1.0 and done_dims["TargetLanguage"] == "fr"
    [(fails, _, fail_dims)] = metrics["JobsFailed"]
    assert fails == 1.0 and fail_dims["Stage"] == "TRANSLATING"
    assert [v for v, _, _ in metrics["JobsCancelled"]] == [1.0]
    assert [v for v, _, _ in metrics["StalledJobsFound"]] == [1.0]
    assert [d["Scope"] for _, _, d in metrics["Retries"]] == ["JOB"]

    job = manager.get_job(completed)
    assert job is not None and job.actual_duration
    [(duration, unit, _)] = metrics["JobDuration"]
    assert (duration, unit) == (job.actual_duration, "Seconds")
    [(speed, speed_unit, _)] = metrics["ThroughputWordsPerMinute"]
    assert speed == pytest.approx(job.word_count / (job.actual_duration / 60), rel=1e-3)
    assert speed_unit == "None"  # words a minute is no CloudWatch unit, least of all Count/Second
    rates = sorted(v for v, _, _ in metrics["ChunkFailureRate"])
    assert rates == [0.0, 50.0]  # the completed job's, and the failed job's 1 of 2 chunks
    assert all(u == "Percent" for _, u, _ in metrics["ChunkFailureRate"])
    times = sorted(v for v, _, _ in metrics["ChunkProcessingTime"])
    assert times == [1000.0]
    assert all(u == "Milliseconds" for _, u, _ in metrics["ChunkProcessingTime"])

    every_dimension = {n for found in metrics.values() for _, _, d in found for n in d}
    assert every_dimension <= {
        "service",
        "Stage",
        "Priority",
        "TargetLanguage",
        "QualityLevel",
        "Scope",
        "ErrorCode",
    }
    printed = json.dumps(metrics)
    assert all(job_id not in printed for job_id in (completed, failed, stalled, cancelled))
