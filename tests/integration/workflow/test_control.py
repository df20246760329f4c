"""Pause, resume and cancel of a running job, through the local runner."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from jobstate import JobStatus
from jobstate.lifecycle.states import ChunkStatus
from jobstate.workflow.local_ports import FailureScript
from tests.integration.workflow.conftest import (
    Pipeline,
    PipelineFactory,
    StepFunctionsReplay,
    local_path,
)

S = JobStatus


def _wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never met"
        time.sleep(0.01)


def _control_at(pipeline_ref: list[Pipeline], index: int, action: str) -> FailureScript:
    """A translator script that asks for `action` while chunk `index` is being translated."""
    fired = threading.Event()

    def script(job_id: str, chunk: int, attempt: int) -> str | None:
        if chunk == index and not fired.is_set():
            fired.set()
            getattr(pipeline_ref[0].service, f"{action}_job")(job_id, "user-1")
        return None

    return script


def test_pause_then_resume_translates_only_what_was_not_done(
    make_pipeline: PipelineFactory, step_functions: StepFunctionsReplay
) -> None:
    ref: list[Pipeline] = []
    pipeline = make_pipeline(script=_control_at(ref, 0, "pause"))
    ref.append(pipeline)
    job_id = pipeline.create(chunks=9)

    pipeline.runner.submit(job_id)
    _wait_until(lambda: pipeline.manager.require_job(job_id).status == S.PAUSED)
    execution = pipeline.runner.executions(job_id)[-1]
    _wait_until(lambda: "Wait" in execution.path)  # the execution holds the paused job
    time.sleep(0.1)
    paused = pipeline.manager.require_job(job_id)
    chunks, _ = pipeline.manager.query_chunks(job_id)
    done_before = {c.chunk_index for c in chunks if c.status == ChunkStatus.COMPLETED}
    calls_before = dict(pipeline.translator.calls)
    assert 0 in done_before  # the attempt in flight at the pause finished and was recorded
    assert paused.status == S.PAUSED and len(done_before) < 9
    assert paused.requires_review is False

    pipeline.service.resume_job(job_id, "user-1")
    finished = pipeline.runner.wait(job_id)

    job = pipeline.manager.require_job(job_id)
    assert finished.execution_id == execution.execution_id  # the same execution carried on
    assert job.status == S.COMPLETED and job.chunks_completed == 9
    for index in done_before:
        assert pipeline.translator.calls[(job_id, index)] == calls_before[(job_id, index)]
    assert all(n == 1 for n in pipeline.translator.successes.values())
    states = [h.to_state for h in pipeline.manager.get_job_history(job_id)]
    assert states[states.index(S.PAUSED) :][:3] == [S.PAUSED, S.RESUMING, S.TRANSLATING]
    status, path = step_functions.replay(finished)
    assert status == "SUCCEEDED" and path == local_path(finished)


def test_cancel_stops_the_workflow_and_keeps_what_was_done(
    make_pipeline: PipelineFactory, step_functions: StepFunctionsReplay
) -> None:
    ref: list[Pipeline] = []
    pipeline = make_pipeline(script=_control_at(ref, 0, "cancel"))
    ref.append(pipeline)
    job_id = pipeline.create(chunks=9)

    pipeline.runner.submit(job_id)
    execution = pipeline.runner.wait(job_id)

    job = pipeline.manager.require_job(job_id)
    chunks, _ = pipeline.manager.query_chunks(job_id)
    completed = [c for c in chunks if c.status == ChunkStatus.COMPLETED]
    assert execution.outcome == "Cancelled"
    assert job.status == S.CANCELLED
    assert 0 in {c.chunk_index for c in completed}  # finished after the cancel, still recorded
    assert len(completed) < 9  # no new attempts were started
    assert sum(pipeline.translator.calls.values()) == len(completed)
    assert job.chunks_completed == len(completed)
    assert job.actual_cost == sum(c.cost for c in completed) > 0
    status, path = step_functions.replay(execution)
    assert status == "SUCCEEDED" and path == local_path(execution)
    assert path[-1] == "JobCancelled"


def test_a_job_paused_while_queued_is_requeued_on_resume(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline(max_active_jobs=1)
    blocker = pipeline.create(chunks=2)
    job_id = pipeline.create(chunks=2)
    step = pipeline.tasks
    from jobstate.workflow.tasks import StepInput

    for job in (blocker, job_id):
        step.route_job(StepInput(job_id=job, execution_id="manual"))
        step.validate_document(StepInput(job_id=job, execution_id="manual"))
    step.admit_job(StepInput(job_id=blocker, execution_id="manual"))  # takes the only slot
    pipeline.service.pause_job(job_id, "user-1")
    pipeline.service.resume_job(job_id, "user-1")

    result = step.route_job(StepInput(job_id=job_id, execution_id="manual"))

    assert result.next == "AdmitJob"
    assert pipeline.manager.require_job(job_id).status == S.QUEUED
    waiting = step.admit_job(StepInput(job_id=job_id, execution_id="manual"))
    assert waiting.next == "Wait" and waiting.then == "AdmitJob"
