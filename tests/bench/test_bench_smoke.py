"""A smoke run of the benchmark at a tiny size: the counts it reports are the ones it claims."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from bench import coldstart, report
from bench.meter import Meter, item_size, moto_item_lookup
from bench.workload import run_baseline, run_jobstate
from jobstate.config import Settings
from jobstate.local.moto_server import MotoServer
from jobstate.store.client import make_client

pytestmark = pytest.mark.integration


@pytest.fixture
def metered(moto_server: MotoServer) -> tuple[object, Meter]:
    client = make_client(Settings.from_env())
    meter = Meter(moto_item_lookup())
    meter.attach(client)
    return client, meter


def test_item_size_follows_dynamodb_rules() -> None:
    item = {"PK": {"S": "JOB#1"}, "n": {"N": "12345"}, "ok": {"BOOL": True}}
    # names 2 + 1 + 2; "JOB#1" 5 bytes; 12345 is 5 digits -> 3 + 1; a boolean 1
    assert item_size(item) == 5 + 5 + 4 + 1


def test_small_job_counts_one_read_per_poll_and_one_write_per_update(
    metered: tuple[object, Meter], tmp_path: Path
) -> None:
    client, meter = metered
    tag = uuid.uuid4().hex[:6]
    jobstate = run_jobstate(client, meter, f"smoke-js-{tag}", 10)
    labels = ("create", "lifecycle", "register", "update")
    jobstate_requests = sum(meter.tally(label).requests for label in labels)
    baseline = run_baseline(client, meter, f"smoke-bl-{tag}", 10)

    assert jobstate["final"]["status"] == "COMPLETED"
    assert jobstate["per_poll"]["operations"] == {"GetItem": 1.0}
    assert jobstate["per_update"]["operations"].keys() == {"TransactWriteItems"}
    assert 1.0 <= jobstate["per_update"]["requests"] < 1.2
    # The design's poll: getJobProgress (read + Query) then getJobDetails (read + two Queries).
    assert baseline["per_poll"]["operations"] == {"GetItem": 2.0, "Query": 3.0}
    assert baseline["per_update"]["operations"]["Query"] == pytest.approx(1.0)
    assert baseline["per_update"]["read_units"] > jobstate["per_update"]["read_units"]
    assert baseline["final"]["status_after_updates"] == "ASSEMBLING"
    assert jobstate["per_job"]["requests"] == pytest.approx(jobstate_requests)

    results = {
        "generated_at": "now",
        "machine": {"python": "3.11", "cpus": 2},
        "sizes": [{"chunks": 10, "jobstate": jobstate, "baseline": baseline}],
        "cold_start": {
            "reference": {"module": "ref", "median_ms": 10.0, "runs": 1},
            "handlers": [],
        },
    }
    report.write_all(results, tmp_path)
    table = (tmp_path / report.RESULTS_MD).read_text()
    assert "| requests per poll | 0.2 |" in table
    assert json.loads((tmp_path / report.RESULTS_JSON).read_text())["sizes"][0]["chunks"] == 10
    assert (tmp_path / report.PLOT_PNG).read_bytes()[:4] == b"\x89PNG"


def test_sampled_baseline_extrapolates_from_the_measured_updates(
    metered: tuple[object, Meter],
) -> None:
    client, meter = metered
    result = run_baseline(client, meter, f"smoke-s-{uuid.uuid4().hex[:6]}", 16, sample_chunks=4)

    assert result["sampled"] is True
    assert result["measured_updates"] == 8
    assert result["final"]["status_after_updates"] == "ASSEMBLING"
    per_update = result["per_update"]["requests"]
    setup = sum(meter.tally(label).requests for label in ("create", "lifecycle", "register"))
    assert result["per_job"]["requests"] == pytest.approx(setup + per_update * 32)


def test_reference_handler_import_is_timed_in_a_fresh_interpreter() -> None:
    measured = coldstart.import_seconds(coldstart.REFERENCE, runs=1)

    assert measured["entry_point"] is True
    assert measured["median_ms"] > 0
