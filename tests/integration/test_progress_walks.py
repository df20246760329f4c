"""Progress read back from the table never goes down, along random walks of the graph."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobstate import (
    ActorRole,
    ChunkSpec,
    ChunkStatus,
    ChunkStatusUpdate,
    JobProgressUpdate,
    JobStatus,
    StateTransitionContext,
    TranslationJobService,
)
from jobstate.lifecycle.graph import allowed_targets
from jobstate.store.keys import chunk_id
from tests.support import create_request

CHUNKS = 4
OPERATOR = StateTransitionContext(reason="walk", triggered_by="op", role=ActorRole.OPERATOR)

steps = st.lists(
    st.tuples(st.sampled_from(["move", "stage", "chunk"]), st.integers(0, 1000)),
    min_size=5,
    max_size=25,
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=steps)
def test_polled_progress_is_monotonic(
    service: TranslationJobService, sequence: list[tuple[str, int]]
) -> None:
    manager = service.manager
    job_id = service.create_job(create_request()).job_id
    last = service.get_job_progress(job_id).overall_progress
    for kind, number in sequence:
        job = manager.require_job(job_id)
        if kind == "move" and allowed_targets(job.status):
            targets = allowed_targets(job.status)
            manager.transition_job_state(
                job_id, job.status, targets[number % len(targets)], OPERATOR
            )
            job = manager.require_job(job_id)
            if job.status == JobStatus.CHUNKING and not job.chunks_registered:
                manager.register_chunks(
                    job_id, [ChunkSpec(index=i, token_count=9) for i in range(CHUNKS)]
                )
        elif kind == "stage":
            manager.update_job_progress(
                job_id, JobProgressUpdate(stage=job.status, stage_progress=number % 101)
            )
        elif kind == "chunk" and job.chunks_registered:
            index = number % CHUNKS
            status = [ChunkStatus.TRANSLATING, ChunkStatus.COMPLETED, ChunkStatus.FAILED][
                number % 3
            ]
            update = ChunkStatusUpdate(status=status, progress=number % 100)
            manager.update_chunk_status(job_id, chunk_id(job_id, index), index, update)
        progress = service.get_job_progress(job_id)
        assert progress.overall_progress >= last
        assert progress.overall_progress < 100 or progress.status == JobStatus.COMPLETED
        last = progress.overall_progress
