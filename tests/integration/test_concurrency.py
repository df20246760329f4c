"""Many workers reporting at once, with duplicates: the counters stay exact."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

from jobstate import ChunkStatus, ChunkStatusUpdate, JobStateManager, JobStatus
from jobstate.store.keys import chunk_id
from tests.integration.conftest import start_translation
from tests.support import create_request

CHUNKS = 1000
WORKERS = 16


def test_sixteen_workers_with_duplicate_deliveries(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    start_translation(manager, job_id, CHUNKS)
    rng = random.Random(42)
    messages: list[tuple[int, ChunkStatusUpdate]] = []
    for index in range(CHUNKS):
        progress = ChunkStatusUpdate(status=ChunkStatus.TRANSLATING, progress=rng.randint(1, 99))
        done = ChunkStatusUpdate(status=ChunkStatus.COMPLETED, cost=0.001, input_tokens=10)
        messages.append((index, progress))
        messages.extend([(index, done)] * rng.randint(1, 3))
    rng.shuffle(messages)
    # Each worker is its own "Lambda instance": its own manager, nothing cached in common.
    workers = [JobStateManager() for _ in range(WORKERS)]

    def deliver(position: int) -> JobStatus | None:
        index, update = messages[position]
        worker = workers[position % WORKERS]
        return worker.update_chunk_status(
            job_id, chunk_id(job_id, index), index, update
        ).job_transition

    with ThreadPoolExecutor(WORKERS) as pool:
        transitions = [t for t in pool.map(deliver, range(len(messages))) if t is not None]

    job = manager.get_job(job_id)
    assert job is not None
    assert transitions == [JobStatus.ASSEMBLING]
    assert job.status == JobStatus.ASSEMBLING
    assert (job.chunks_completed, job.chunks_outstanding, job.chunks_pending) == (CHUNKS, 0, 0)
    assert job.chunks_translating == 0
    assert job.chunk_units == 100.0 * CHUNKS
    assert job.input_tokens == 10 * CHUNKS
    assert round(job.actual_cost, 6) == round(0.001 * CHUNKS, 6)
    history = manager.get_job_history(job_id)
    assert [h.to_state for h in history].count(JobStatus.ASSEMBLING) == 1
    versions = [h.version for h in history]
    assert versions == sorted(set(versions))
    assert len(history) == 8  # created + 6 pipeline transitions + assembling
