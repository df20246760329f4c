"""What operations cost, counted with a botocore hook rather than timed."""

from __future__ import annotations

import math

import pytest

from jobstate import (
    ChunkSpec,
    ChunkStatus,
    ChunkStatusUpdate,
    JobStateManager,
    TranslationJobService,
)
from jobstate.store import keys
from jobstate.store.codec import to_item
from tests.integration.conftest import TO_CHUNKING, advance, start_translation
from tests.support import counting, create_request

C = ChunkStatus


def job_item_size(manager: JobStateManager, job_id: str) -> int:
    item = manager.client.get_item(TableName=manager.table, Key=to_item(keys.job_key(job_id)))[
        "Item"
    ]
    # DynamoDB's item size: attribute names plus values; the JSON text is a safe upper bound.
    import json

    return len(json.dumps(item))


@pytest.mark.parametrize("chunks", [10, 5000])
def test_a_progress_poll_is_one_get_item(service: TranslationJobService, chunks: int) -> None:
    job_id = service.create_job(create_request()).job_id
    start_translation(service.manager, job_id, chunks)
    with counting(service.manager.client) as counter:
        progress = service.get_job_progress(job_id)
    assert progress.total_chunks == chunks
    assert dict(counter.calls) == {"GetItem": 1}


def test_a_chunk_report_is_one_write_and_no_read(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    start_translation(manager, job_id, 4)
    with counting(manager.client) as counter:
        for status in (C.TRANSLATING, C.COMPLETED):
            update = ChunkStatusUpdate(status=status)
            manager.update_chunk_status(job_id, keys.chunk_id(job_id, 1), 1, update)
        manager.update_chunk_status(
            job_id,
            keys.chunk_id(job_id, 2),
            2,
            ChunkStatusUpdate(status=C.TRANSLATING, progress=40),
        )
    assert dict(counter.calls) == {"TransactWriteItems": 3}


def test_the_last_report_may_add_only_the_transition(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    start_translation(manager, job_id, 2)
    update = ChunkStatusUpdate(status=C.COMPLETED)
    manager.update_chunk_status(job_id, keys.chunk_id(job_id, 0), 0, update)
    with counting(manager.client) as counter:
        result = manager.update_chunk_status(job_id, keys.chunk_id(job_id, 1), 1, update)
    assert result.job_transition is not None
    # The first attempt is refused as "not the last chunk"; the refusal carries the job item,
    # so the retry with the transition needs no read.
    assert dict(counter.calls) == {"TransactWriteItems": 2}


@pytest.mark.parametrize("chunks", [1, 25, 26, 1000])
def test_registration_takes_n_over_25_batch_writes(manager: JobStateManager, chunks: int) -> None:
    job_id = manager.create_job(create_request()).job_id
    advance(manager, job_id, TO_CHUNKING)
    specs = [ChunkSpec(index=i, token_count=10) for i in range(chunks)]
    with counting(manager.client) as counter:
        manager.register_chunks(job_id, specs)
    assert counter.calls["BatchWriteItem"] == math.ceil(chunks / 25)
    assert counter.calls["UpdateItem"] == 1


def test_the_job_item_stays_small_at_ten_thousand_chunks(manager: JobStateManager) -> None:
    job_id = manager.create_job(create_request()).job_id
    start_translation(manager, job_id, 10_000)
    for index in range(0, 10_000, 1000):
        manager.update_chunk_status(
            job_id, keys.chunk_id(job_id, index), index, ChunkStatusUpdate(status=C.COMPLETED)
        )
    assert job_item_size(manager, job_id) < 4096


def test_a_chunk_report_leaves_every_index_entry_alone(manager: JobStateManager) -> None:
    """DynamoDB rewrites an index entry only when the write changes its keys or projected
    attributes; a chunk report changes neither, so it costs no index writes."""
    from jobstate.lifecycle.chunks import ChunkReport, ChunkState, plan_chunk_change
    from jobstate.store.schema import INDEXES, PROJECTED_ATTRIBUTES

    job_id = manager.create_job(create_request()).job_id
    start_translation(manager, job_id, 4)
    indexed = set(PROJECTED_ATTRIBUTES)
    for index in INDEXES:
        indexed |= {index.partition_key, index.sort_key}
    for before, report in [
        (ChunkState(), ChunkReport(C.TRANSLATING)),
        (ChunkState(C.TRANSLATING, 10.0, 1), ChunkReport(C.TRANSLATING, 50.0)),
        (ChunkState(C.TRANSLATING, 50.0, 1), ChunkReport(C.COMPLETED)),
        (ChunkState(C.TRANSLATING, 50.0, 1), ChunkReport(C.FAILED)),
    ]:
        change = plan_chunk_change(before, report)
        assert change is not None
        transaction, transition = manager._chunk_transaction(
            job_id, 1, change, ChunkStatusUpdate(status=report.status), None
        )
        assert transition is None
        job_update = transaction[1]["Update"]
        written = set(job_update["ExpressionAttributeNames"].values())
        assert written, job_update
        assert not written & indexed, written & indexed
