"""The scheduled sweeper Lambda restarts a stalled job by starting a Step Functions execution."""

from __future__ import annotations

import json
import time

import pytest

from jobstate.handlers import sweeper
from tests.integration.workflow.conftest import PipelineFactory, StepFunctionsReplay


def test_the_sweeper_lambda_starts_an_execution_for_a_stalled_job(
    make_pipeline: PipelineFactory,
    step_functions: StepFunctionsReplay,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pipeline = make_pipeline()
    job_id = pipeline.create(chunks=1)  # created, and no execution ever picked it up
    monkeypatch.setenv("JOBSTATE_STATE_MACHINE_ARN", step_functions.state_machine_arn)
    monkeypatch.setenv("JOBSTATE_TIME_SCALE", "0.000001")  # every allowance is already over
    time.sleep(0.05)
    # The execution it starts must not take canned replies meant for other tests.
    step_functions.queue_results([{"jobId": job_id, "next": "Cancelled"}])

    report = sweeper.handler({}, None)

    assert report["restarted"] == [job_id]
    executions = step_functions.client.list_executions(
        stateMachineArn=step_functions.state_machine_arn
    )["executions"]
    started = [e for e in executions if e["name"].startswith(f"{job_id}-recovery-")]
    assert len(started) == 1
    described = step_functions.wait(started[0]["executionArn"])
    assert json.loads(described["input"]) == {"jobId": job_id}
