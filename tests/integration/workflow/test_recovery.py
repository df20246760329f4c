"""Recovery through the local runner: retries, the failure threshold, rate limits, review pauses."""

from __future__ import annotations

import time

from jobstate import JobStateManager, JobStatus
from jobstate.workflow.tasks import StepInput
from tests.integration.workflow.conftest import PipelineFactory, StepFunctionsReplay, local_path

S = JobStatus


def _states(manager: JobStateManager, job_id: str) -> list[JobStatus]:
    return [h.to_state for h in manager.get_job_history(job_id)]


def test_failures_that_retries_absorb_leave_a_completed_job(
    make_pipeline: PipelineFactory, step_functions: StepFunctionsReplay
) -> None:
    plan = {
        (2, 1): "SERVICE_UNAVAILABLE",  # fixed by the chunk's second attempt
        (5, 1): "TIMEOUT",
        (5, 2): "TIMEOUT",  # fixed by the third
        (6, 1): "SERVICE_UNAVAILABLE",
        (6, 2): "SERVICE_UNAVAILABLE",
        (6, 3): "SERVICE_UNAVAILABLE",  # exhausts the chunk; the partial retry fixes it
    }
    pipeline = make_pipeline(script=lambda job, index, attempt: plan.get((index, attempt)))
    job_id = pipeline.create(chunks=8)

    pipeline.runner.submit(job_id)
    execution = pipeline.runner.wait(job_id)

    job = pipeline.manager.require_job(job_id)
    assert execution.outcome == "Succeeded"
    assert job.status == S.COMPLETED and job.chunks_failed == 0
    assert pipeline.translator.calls[(job_id, 2)] == 2
    assert pipeline.translator.calls[(job_id, 5)] == 3
    assert pipeline.translator.calls[(job_id, 6)] == 4
    assert all(n == 1 for n in pipeline.translator.successes.values())
    assert S.RETRYING in _states(pipeline.manager, job_id)
    assert job.retry_count == 1
    assert job.chunk_retries >= 4
    status, path = step_functions.replay(execution)  # the deployed definition agrees
    assert status == "SUCCEEDED" and path == local_path(execution)
    assert path.count("TranslateBatches") == 2 and "Wait" in path


def test_the_configured_failure_mix_is_absorbed(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline(failures="SERVICE_UNAVAILABLE=0.3,TIMEOUT=0.1")
    job_id = pipeline.create(chunks=6, job_id="JOB_FIXEDMIXFORTESTS0000000001")

    pipeline.runner.submit(job_id)
    pipeline.runner.wait(job_id)

    job = pipeline.manager.require_job(job_id)
    assert job.status == S.COMPLETED
    assert sum(pipeline.translator.calls.values()) > 6  # some attempts did fail
    assert sorted(pipeline.translator.successes.values()) == [1] * 6


def test_failures_past_the_threshold_fail_the_job(
    make_pipeline: PipelineFactory, step_functions: StepFunctionsReplay
) -> None:
    bad = {0, 3}  # 2 of 4 chunks; the threshold tolerates 1
    pipeline = make_pipeline(script=lambda job, i, a: "INVALID_CONTENT" if i in bad else None)
    job_id = pipeline.create(chunks=4)

    pipeline.runner.submit(job_id)
    execution = pipeline.runner.wait(job_id)

    job = pipeline.manager.require_job(job_id)
    assert execution.outcome == "Failed"
    assert job.status == S.FAILED and job.chunks_failed == 2
    for index in bad:  # content errors are not retried
        assert pipeline.translator.calls[(job_id, index)] == 1
    assert job.actual_cost > 0  # what was translated is kept and paid for
    chunk = pipeline.manager.get_chunk(job_id, 0)
    assert chunk is not None and chunk.last_error is not None
    assert chunk.last_error.code == "INVALID_CONTENT"
    status, path = step_functions.replay(execution)
    assert status == "FAILED" and path == local_path(execution)


def test_a_permanent_failure_under_the_threshold_goes_on(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline(script=lambda job, i, a: "INVALID_CONTENT" if i == 3 else None)
    job_id = pipeline.create(chunks=4)

    pipeline.runner.submit(job_id)
    pipeline.runner.wait(job_id)

    job = pipeline.manager.require_job(job_id)
    assert job.status == S.COMPLETED
    assert job.chunks_failed == 1 and job.chunks_completed == 3
    assert pipeline.translator.calls[(job_id, 3)] == 1
    assert S.RETRYING not in _states(pipeline.manager, job_id)


def test_owner_retry_reruns_only_the_failed_chunks(make_pipeline: PipelineFactory) -> None:
    broken = {"on": True}
    bad = {1, 2}
    pipeline = make_pipeline(
        script=lambda job, i, a: "INVALID_CONTENT" if broken["on"] and i in bad else None
    )
    job_id = pipeline.create(chunks=4)
    pipeline.runner.submit(job_id)
    assert pipeline.runner.wait(job_id).outcome == "Failed"
    first = dict(pipeline.translator.calls)

    broken["on"] = False  # the content was fixed upstream
    pipeline.service.retry_failed_chunks(job_id, "user-1")
    pipeline.runner.submit(job_id)
    pipeline.runner.wait(job_id)

    job = pipeline.manager.require_job(job_id)
    assert job.status == S.COMPLETED and job.chunks_failed == 0
    rerun = {k[1] for k, n in pipeline.translator.calls.items() if n > first.get(k, 0)}
    assert rerun == bad


def test_a_rate_limit_holds_the_job_until_its_window_is_over(
    make_pipeline: PipelineFactory,
) -> None:
    pipeline = make_pipeline(script=lambda job, i, a: "RATE_LIMITED" if (i, a) == (4, 1) else None)
    job_id = pipeline.create(chunks=6)
    tasks = pipeline.tasks
    step = StepInput(job_id=job_id, execution_id="manual")
    for run in (tasks.route_job, tasks.validate_document, tasks.admit_job, tasks.chunk_document):
        run(step)
    tasks.translate_batch(step.model_copy(update={"start": 3, "end": 6}))

    progress = pipeline.service.get_job_progress(job_id)
    assert progress.status == S.RATE_LIMITED
    assert progress.rate_limited_until is not None
    assert progress.chunk_counts.rate_limited == 1

    pipeline.runner.submit(job_id)
    pipeline.runner.wait(job_id)
    job = pipeline.manager.require_job(job_id)
    assert job.status == S.COMPLETED and job.rate_limited_until is None
    states = _states(pipeline.manager, job_id)
    assert states.index(S.RATE_LIMITED) < len(states) - states[::-1].index(S.TRANSLATING) - 1
    assert pipeline.translator.calls[(job_id, 4)] == 2
    assert all(n == 1 for n in pipeline.translator.successes.values())


def test_rate_limits_past_the_retry_budget_pause_for_review(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline(
        script=lambda job, i, a: "RATE_LIMITED" if i == 2 else None, max_job_retries=1
    )
    job_id = pipeline.create(chunks=4)

    pipeline.runner.submit(job_id)
    deadline = time.monotonic() + 20
    while pipeline.manager.require_job(job_id).status != S.PAUSED:
        assert time.monotonic() < deadline, "job never paused"
        time.sleep(0.02)

    job = pipeline.manager.require_job(job_id)
    assert job.requires_review is True
    assert _states(pipeline.manager, job_id).count(S.RATE_LIMITED) == job.max_retries
    assert not pipeline.runner.executions(job_id)[-1].ended  # held, waiting for a person
    pipeline.service.cancel_job(job_id, "user-1")
    assert pipeline.runner.wait(job_id).outcome == "Cancelled"


def test_a_task_that_crashes_is_caught_and_the_job_retried(make_pipeline: PipelineFactory) -> None:
    crashed: list[int] = []

    def script(job: str, index: int, attempt: int) -> str | None:
        if index == 1 and not crashed:
            crashed.append(attempt)
            raise RuntimeError("the translation worker died")
        return None

    pipeline = make_pipeline(script=script)
    job_id = pipeline.create(chunks=3)

    pipeline.runner.submit(job_id)
    execution = pipeline.runner.wait(job_id)

    job = pipeline.manager.require_job(job_id)
    assert execution.outcome == "Succeeded"
    assert "RecordFailure" in execution.path
    assert job.status == S.COMPLETED and job.retry_count == 1
    retrying = [h for h in pipeline.manager.get_job_history(job_id) if h.to_state == S.RETRYING]
    assert retrying[0].reason == "retrying after INTERNAL_ERROR"
    assert all(n == 1 for n in pipeline.translator.successes.values())
