"""The deployed definition runs in moto's Step Functions interpreter and takes the local path."""

from __future__ import annotations

from jobstate import JobStatus
from tests.integration.workflow.conftest import (
    PipelineFactory,
    StepFunctionsReplay,
    local_path,
)

S = JobStatus


def test_the_happy_path_runs_in_step_functions(
    make_pipeline: PipelineFactory, step_functions: StepFunctionsReplay
) -> None:
    pipeline = make_pipeline()
    job_id = pipeline.create(chunks=4)
    pipeline.runner.submit(job_id)
    execution = pipeline.runner.wait(job_id)

    status, path = step_functions.replay(execution)

    assert status == "SUCCEEDED"
    assert path == local_path(execution)
    assert path[0] == "Route" and path[-1] == "JobCompleted"
    assert "TranslateBatches" in path


def test_a_failed_job_fails_the_execution(step_functions: StepFunctionsReplay) -> None:
    results = [
        {"jobId": "JOB_X", "next": "ValidateDocument", "status": "CREATED"},
        {"jobId": "JOB_X", "next": "Failed", "status": "FAILED"},
    ]

    status, path = step_functions.run(results, "JOB_X")

    assert status == "FAILED"
    assert path == ["Route", "ValidateDocument", "JobFailed"]


def test_waits_route_back_to_the_named_task(step_functions: StepFunctionsReplay) -> None:
    results = [
        {"jobId": "JOB_Y", "next": "AdmitJob", "status": "QUEUED"},
        {"jobId": "JOB_Y", "next": "Wait", "then": "AdmitJob", "waitWholeSeconds": 0},
        {"jobId": "JOB_Y", "next": "Cancelled", "status": "CANCELLED"},
    ]

    status, path = step_functions.run(results, "JOB_Y")

    assert status == "SUCCEEDED"
    assert path == ["Route", "AdmitJob", "Wait", "AdmitJob", "JobCancelled"]
