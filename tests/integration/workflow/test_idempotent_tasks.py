"""Step Functions delivers a task at least once: each handler run twice leaves what one run left."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from jobstate import JobStatus
from jobstate.handlers import workflow as handlers
from jobstate.workflow.pipeline import TASK_HANDLERS, Step
from tests.integration.workflow.conftest import Pipeline, PipelineFactory

S = JobStatus
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _handler(step: Step) -> Handler:
    module, _, name = TASK_HANDLERS[step].rpartition(".")
    handler: Handler = getattr(importlib.import_module(module), name)
    return handler


def _snapshot(pipeline: Pipeline, job_id: str) -> dict[str, Any]:
    job = pipeline.manager.require_job(job_id)
    chunks, _ = pipeline.manager.query_chunks(job_id)
    return {
        "job": job.model_dump(exclude={"updated_at", "last_activity_at"}),
        "chunks": [(c.status, c.attempts, c.cost) for c in chunks],
        "history": len(pipeline.manager.get_job_history(job_id)),
        "translations": sum(pipeline.translator.calls.values()),
    }


def _twice(pipeline: Pipeline, job_id: str, step: Step, event: dict[str, Any]) -> dict[str, Any]:
    first = _handler(step)(dict(event), None)
    after_one = _snapshot(pipeline, job_id)
    second = _handler(step)(dict(event), None)
    assert _snapshot(pipeline, job_id) == after_one, f"{step} run twice changed the job"
    assert second == first, f"{step} run twice answered differently"
    return first


def test_every_task_run_twice_changes_nothing_more(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline()
    job_id = pipeline.create(chunks=3)
    handlers.install(pipeline.tasks)
    event = {"jobId": job_id, "executionId": "arn:aws:states:us-east-1:1:execution:m:e1"}

    assert _twice(pipeline, job_id, Step.ROUTE, event)["next"] == Step.VALIDATE
    assert _twice(pipeline, job_id, Step.VALIDATE, event)["next"] == Step.ADMIT
    assert _twice(pipeline, job_id, Step.ADMIT, event)["next"] == Step.CHUNK
    assert _twice(pipeline, job_id, Step.CHUNK, event)["next"] == Step.PLAN
    plan = _twice(pipeline, job_id, Step.PLAN, event)
    assert plan["next"] == "Translate"
    for batch in plan["batches"]:
        _twice(pipeline, job_id, Step.TRANSLATE, {**event, **batch})
    assert _twice(pipeline, job_id, Step.PLAN, event)["next"] == Step.ASSEMBLE
    assert _twice(pipeline, job_id, Step.ASSEMBLE, event)["next"] == Step.FINALIZE
    assert _twice(pipeline, job_id, Step.FINALIZE, event)["next"] == "Succeeded"

    assert pipeline.manager.require_job(job_id).status == S.COMPLETED
    assert dict(pipeline.translator.calls) == {(job_id, i): 1 for i in range(3)}


def test_a_failure_recorded_twice_schedules_one_retry(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline()
    job_id = pipeline.create(chunks=1)
    handlers.install(pipeline.tasks)
    event = {"jobId": job_id, "executionId": "e1"}
    _handler(Step.ROUTE)(dict(event), None)
    _handler(Step.VALIDATE)(dict(event), None)
    failure = {**event, "error": {"Error": "StoreUnavailableError", "Cause": "throttled"}}

    result = _twice(pipeline, job_id, Step.RECORD_FAILURE, failure)

    job = pipeline.manager.require_job(job_id)
    assert result["next"] == "Wait" and result["then"] == Step.ROUTE
    assert job.status == S.RETRYING and job.retry_count == 1
    assert _handler(Step.ROUTE)(dict(event), None)["next"] == Step.ADMIT  # back in the queue


def test_an_execution_that_lost_the_job_stops(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline()
    job_id = pipeline.create(chunks=1)
    handlers.install(pipeline.tasks)
    _handler(Step.ROUTE)({"jobId": job_id, "executionId": "old"}, None)
    _handler(Step.ROUTE)({"jobId": job_id, "executionId": "new"}, None)

    stale = _handler(Step.VALIDATE)({"jobId": job_id, "executionId": "old"}, None)

    assert stale["next"] == "Superseded"
    assert pipeline.manager.require_job(job_id).status == S.CREATED
