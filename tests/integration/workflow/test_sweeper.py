"""The stall sweeper: a job whose execution died is found on JobsByStatus and restarted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from jobstate import JobStatus
from jobstate.models import utc_now
from jobstate.workflow.sweeper import StallSweeper
from jobstate.workflow.tasks import StepInput
from tests.integration.workflow.conftest import Pipeline, PipelineFactory

S = JobStatus


def _abandon_mid_translation(pipeline: Pipeline) -> str:
    """A job whose execution translated one range and then died."""
    job_id = pipeline.create(chunks=4)
    step = StepInput(job_id=job_id, execution_id="dead-execution")
    for run in (pipeline.tasks.route_job, pipeline.tasks.validate_document):
        run(step)
    pipeline.tasks.admit_job(step)
    pipeline.tasks.chunk_document(step)
    pipeline.tasks.translate_batch(step.model_copy(update={"start": 0, "end": 2}))
    return job_id


def _sweeper(pipeline: Pipeline, clock: Callable[[], datetime] = utc_now) -> StallSweeper:
    """A sweeper over `pipeline` with real (unscaled) stall allowances."""
    settings = pipeline.tasks.settings.model_copy(update={"time_scale": 1.0})
    return StallSweeper(
        manager=pipeline.manager, starter=pipeline.runner, settings=settings, clock=clock
    )


def test_a_stalled_job_is_recovered_from_where_it_stopped(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline()
    job_id = _abandon_mid_translation(pipeline)
    assert pipeline.manager.require_job(job_id).chunks_completed == 2
    an_hour_later = utc_now() + timedelta(hours=1)
    sweeper = _sweeper(pipeline, clock=lambda: an_hour_later)

    report = sweeper.sweep()
    execution = pipeline.runner.wait(job_id)

    assert report.recovered == [job_id]
    job = pipeline.manager.require_job(job_id)
    assert execution.outcome == "Succeeded"
    assert job.status == S.COMPLETED and job.chunks_completed == 4
    states = [h.to_state for h in pipeline.manager.get_job_history(job_id)]
    assert states[states.index(S.RECOVERING) + 1] == S.TRANSLATING
    for index in (0, 1):  # finished before the stall: not translated again
        assert pipeline.translator.calls[(job_id, index)] == 1
    assert job.workflow_execution_arn == execution.execution_id


def test_an_active_job_is_left_alone(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline()
    job_id = _abandon_mid_translation(pipeline)
    sweeper = _sweeper(pipeline)

    report = sweeper.sweep()

    assert report.recovered == [] and report.failed == []
    assert pipeline.manager.require_job(job_id).status == S.TRANSLATING
    assert pipeline.runner.executions(job_id) == []


def test_a_job_stalled_past_its_retry_budget_fails(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline(max_job_retries=0)
    job_id = _abandon_mid_translation(pipeline)
    an_hour_later = utc_now() + timedelta(hours=1)
    sweeper = _sweeper(pipeline, clock=lambda: an_hour_later)

    report = sweeper.sweep()

    job = pipeline.manager.require_job(job_id)
    assert report.failed == [job_id]
    assert job.status == S.FAILED
    assert job.last_error is not None and job.last_error.code == "STALLED"
    assert pipeline.runner.executions(job_id) == []


def test_the_runner_sweeps_on_its_own(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline(sweep=True)
    job_id = _abandon_mid_translation(pipeline)  # TRANSLATING allows 1.8 s at this time scale

    execution = pipeline.runner.wait(job_id, timeout=30)

    assert execution.outcome == "Succeeded"
    assert S.RECOVERING in [h.to_state for h in pipeline.manager.get_job_history(job_id)]


def test_a_long_queued_job_gets_an_execution_without_spending_its_budget(
    make_pipeline: PipelineFactory,
) -> None:
    pipeline = make_pipeline(max_job_retries=0)
    job_id = pipeline.create(chunks=1)
    step = StepInput(job_id=job_id, execution_id="dead-execution")
    pipeline.tasks.route_job(step)
    pipeline.tasks.validate_document(step)  # QUEUED; its execution then died
    a_day_later = utc_now() + timedelta(days=1)
    sweeper = _sweeper(pipeline, clock=lambda: a_day_later)

    report = sweeper.sweep()

    assert report.restarted == [job_id] and report.failed == []
    assert pipeline.runner.wait(job_id).outcome == "Succeeded"
