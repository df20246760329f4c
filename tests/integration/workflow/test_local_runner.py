"""The pipeline run by the local runner against moto's server, from creation to the end."""

from __future__ import annotations

from jobstate import JobStatus
from jobstate.lifecycle.states import ChunkStatus
from tests.integration.workflow.conftest import PipelineFactory

S = JobStatus


def test_a_job_runs_through_every_stage(make_pipeline: PipelineFactory) -> None:
    pipeline = make_pipeline()
    job_id = pipeline.create(chunks=8)

    pipeline.runner.submit(job_id)
    execution = pipeline.runner.wait(job_id)

    job = pipeline.manager.require_job(job_id)
    assert execution.outcome == "Succeeded", execution
    assert job.status == S.COMPLETED
    assert job.chunks_completed == 8 and job.chunks_failed == 0
    assert job.actual_cost > 0
    states = [h.to_state for h in pipeline.manager.get_job_history(job_id)]
    assert states == [
        S.CREATED,
        S.VALIDATING,
        S.VALIDATED,
        S.QUEUED,
        S.CHUNKING,
        S.CHUNKED,
        S.TRANSLATING,
        S.ASSEMBLING,
        S.FINALIZING,
        S.COMPLETED,
    ]
    assert all(n == 1 for n in pipeline.translator.calls.values())
    assert len(pipeline.translator.calls) == 8
    chunks, _ = pipeline.manager.query_chunks(job_id)
    assert {c.status for c in chunks} == {ChunkStatus.COMPLETED}
