"""The queue: at most JOBSTATE_MAX_ACTIVE_JOBS run; the highest priority, then the oldest, next."""

from __future__ import annotations

from jobstate import JobStatus
from jobstate.workflow.tasks import StepInput
from tests.integration.workflow.conftest import Pipeline, PipelineFactory

S = JobStatus


def _queue(pipeline: Pipeline, job_id: str) -> None:
    step = StepInput(job_id=job_id, execution_id="manual")
    pipeline.tasks.route_job(step)
    pipeline.tasks.validate_document(step)


def _admit_all(pipeline: Pipeline, job_ids: list[str]) -> list[str]:
    admitted = []
    for job_id in job_ids:
        result = pipeline.tasks.admit_job(StepInput(job_id=job_id, execution_id="manual"))
        if result.next != "Wait":
            admitted.append(job_id)
    return admitted


def test_jobs_start_by_priority_then_age_one_at_a_time(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline(max_active_jobs=1)
    low = pipeline.create(chunks=1, priority="LOW")
    normal_old = pipeline.create(chunks=1, priority="NORMAL")
    high = pipeline.create(chunks=1, priority="HIGH")
    normal_new = pipeline.create(chunks=1, priority="NORMAL")
    jobs = [low, normal_old, high, normal_new]
    for job_id in jobs:
        _queue(pipeline, job_id)

    positions = {j: pipeline.service.get_job_progress(j).queue_position for j in jobs}
    started = []
    for _ in range(len(jobs)):
        admitted = _admit_all(pipeline, jobs)
        assert len(admitted) == 1  # one slot, one job
        started.append(admitted[0])
        jobs.remove(admitted[0])
        pipeline.service.cancel_job(admitted[0], "user-1")  # frees the slot

    assert started == [high, normal_old, normal_new, low]
    assert [positions[j] for j in started] == [1, 2, 3, 4]
    assert pipeline.service.get_job_progress(high).queue_position is None  # not queued now


def test_a_queued_job_waits_while_every_slot_is_taken(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline(max_active_jobs=2)
    jobs = [pipeline.create(chunks=1) for _ in range(3)]
    for job_id in jobs:
        _queue(pipeline, job_id)

    assert _admit_all(pipeline, jobs) == jobs[:2]
    waiting = pipeline.tasks.admit_job(StepInput(job_id=jobs[2], execution_id="manual"))

    assert waiting.next == "Wait" and waiting.then == "AdmitJob"
    assert pipeline.manager.require_job(jobs[2]).status == S.QUEUED
    assert pipeline.tasks.queue.running_count() == 2


def test_the_creation_estimate_counts_the_queue_ahead(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline(max_active_jobs=1)
    first = pipeline.create(chunks=1)
    empty_queue = pipeline.manager.require_job(pipeline.create(chunks=1)).estimated_duration
    _queue(pipeline, first)

    behind_one = pipeline.manager.require_job(pipeline.create(chunks=1)).estimated_duration

    assert behind_one == empty_queue + 600.0
