"""One translation job driven end to end through jobstate or the baseline, measured as it runs.

Eight workers each take chunks and report two updates per chunk (translating, then completed)
while one poller asks for the job's progress the way the frontend does.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.baseline import DesignBaseline, StaleTransitionError, create_tables
from bench.meter import Meter, Tally, item_size, moto_item_lookup
from jobstate import CreateJobRequest
from jobstate.lifecycle.states import ChunkStatus, JobStatus
from jobstate.models import ChunkSpec, ChunkStatusUpdate, StateTransitionContext
from jobstate.models.requests import MAX_WORD_COUNT
from jobstate.service.jobs import TranslationJobService
from jobstate.store import keys
from jobstate.store.client import create_table

WORKERS = 8
UPDATES_PER_CHUNK = 2
TOKENS_PER_CHUNK = 1950
USER = "bench-user"
SETUP_LABELS = ("create", "lifecycle", "register")

S = JobStatus
START_PATH = [
    (S.CREATED, S.VALIDATING),
    (S.VALIDATING, S.VALIDATED),
    (S.VALIDATED, S.QUEUED),
    (S.QUEUED, S.CHUNKING),
]
TRANSLATE_PATH = [(S.CHUNKING, S.CHUNKED), (S.CHUNKED, S.TRANSLATING)]
FINISH_PATH = [(S.ASSEMBLING, S.FINALIZING), (S.FINALIZING, S.COMPLETED)]


def chunk_updates(index: int) -> list[ChunkStatusUpdate]:
    return [
        ChunkStatusUpdate(status=ChunkStatus.TRANSLATING, progress=0.0, attempt=1),
        ChunkStatusUpdate(
            status=ChunkStatus.COMPLETED,
            processing_time=1200 + index % 500,
            input_tokens=TOKENS_PER_CHUNK,
            output_tokens=2100,
            cost=0.00105,
            provider_request_id=f"req-{index:07d}",
            attempt=1,
        ),
    ]


def create_request(chunks: int) -> CreateJobRequest:
    return CreateJobRequest.model_validate(
        {
            "userId": USER,
            "documentId": "doc-1",
            "filename": "novel.docx",
            "targetLanguage": "es",
            "documentMetadata": {
                # The request caps a document's words; registration sets the real chunk count.
                "wordCount": min(chunks * 1500, MAX_WORD_COUNT),
                "fileSize": 64000,
                "contentHash": "sha256:abc123",
            },
            "priority": "NORMAL",
        }
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    position = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[position]


class _Poller:
    """Polls progress back to back (with a short pause) from its own thread, timing each poll."""

    def __init__(self, meter: Meter, poll: Callable[[], object], pause: float) -> None:
        self._meter, self._poll, self._pause = meter, poll, pause
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-poller", daemon=True)
        self.latencies: list[float] = []

    def _run(self) -> None:
        with self._meter.label("poll"):
            while not self._stop.is_set():
                started = time.perf_counter()
                self._poll()
                self.latencies.append(time.perf_counter() - started)
                self._stop.wait(self._pause)

    def __enter__(self) -> _Poller:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _apply(
    meter: Meter, label: str, indexes: list[int], apply: Callable[[int, ChunkStatusUpdate], None]
) -> float:
    def work(index: int) -> None:
        with meter.label(label):
            for update in chunk_updates(index):
                apply(index, update)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="bench-worker") as pool:
        for future in [pool.submit(work, i) for i in indexes]:
            future.result()
    return time.perf_counter() - started


def _summary(
    meter: Meter,
    *,
    chunks: int,
    measured_chunks: int,
    wall: float,
    latencies: list[float],
    final: dict[str, Any],
    events: int | None,
) -> dict[str, Any]:
    updates = chunks * UPDATES_PER_CHUNK
    measured_updates = measured_chunks * UPDATES_PER_CHUNK
    factor = updates / measured_updates
    poll = meter.tally("poll")
    polls = max(1, len(latencies))
    update = meter.tally("update")
    job = Tally()
    for label in SETUP_LABELS:
        job.add(meter.tally(label))
    per_job = job.scaled(1.0)
    scaled_updates = update.scaled(factor)
    for name in ("requests", "bytes_sent", "bytes_received", "bytes", "read_units", "write_units"):
        per_job[name] += scaled_updates[name]
    for name, count in scaled_updates["operations"].items():
        per_job["operations"][name] = per_job["operations"].get(name, 0) + count
    return {
        "chunks": chunks,
        "updates": updates,
        "measured_updates": measured_updates,
        "sampled": measured_updates < updates,
        "per_poll": poll.scaled(1 / polls),
        "per_update": update.scaled(1 / measured_updates),
        "per_job": per_job,
        "update_wall_seconds": wall * factor,
        "measured_update_wall_seconds": wall,
        "poll_latency_ms": {
            "count": len(latencies),
            "median": statistics.median(latencies) * 1000 if latencies else 0.0,
            "p99": percentile(latencies, 0.99) * 1000,
        },
        "events_published": events,
        "final": final,
    }


def _item_sizes(table: str, job_key: dict[str, str], chunk_key: dict[str, str]) -> dict[str, int]:
    """Bytes of the job item and of one chunk item at the end, by DynamoDB's sizing rules."""
    lookup = moto_item_lookup()
    sizes = {}
    for name, key in (("job_item_bytes", job_key), ("chunk_item_bytes", chunk_key)):
        item = lookup(table, {k: {"S": v} for k, v in key.items()})
        sizes[name] = item_size(item or {})
    return sizes


def run_jobstate(
    client: Any, meter: Meter, table: str, chunks: int, *, poll_pause: float = 0.02
) -> dict[str, Any]:
    """A whole job through jobstate's public API, counted by label."""
    create_table(client, table)
    meter.reset()
    service = TranslationJobService(client=client, table_name=table)
    manager = service.manager
    system = StateTransitionContext(reason="benchmark")

    def move(job_id: str, path: list[tuple[JobStatus, JobStatus]]) -> None:
        with meter.label("lifecycle"):
            for source, target in path:
                manager.transition_job_state(job_id, source, target, system)

    with meter.label("create"):
        job_id = service.create_job(create_request(chunks)).job_id
    move(job_id, START_PATH)
    with meter.label("register"):
        specs = [ChunkSpec(index=i, token_count=TOKENS_PER_CHUNK) for i in range(chunks)]
        manager.register_chunks(job_id, specs)
    move(job_id, TRANSLATE_PATH)

    def apply(index: int, update: ChunkStatusUpdate) -> None:
        manager.update_chunk_status(job_id, keys.chunk_id(job_id, index), index, update)

    with _Poller(meter, lambda: service.get_job_progress(job_id, USER), poll_pause) as poller:
        wall = _apply(meter, "update", list(range(chunks)), apply)
    with meter.label("final-read"):
        reached = manager.require_job(job_id)
    if reached.status == JobStatus.ASSEMBLING:
        move(job_id, FINISH_PATH)
    with meter.label("final-read"):
        job = manager.require_job(job_id)
    final = {
        "status_after_updates": reached.status.value,
        "status": job.status.value,
        "chunks_completed": job.chunks_completed,
        "chunks_completed_truth": chunks,
        **_item_sizes(
            table, keys.job_key(job_id), {"PK": keys.job_pk(job_id), "SK": keys.chunk_sk(0)}
        ),
    }
    return _summary(
        meter,
        chunks=chunks,
        measured_chunks=chunks,
        wall=wall,
        latencies=poller.latencies,
        final=final,
        events=None,
    )


def run_baseline(
    client: Any,
    meter: Meter,
    prefix: str,
    chunks: int,
    *,
    sample_chunks: int | None = None,
    poll_pause: float = 0.02,
) -> dict[str, Any]:
    """A whole job through the design's algorithms.

    With `sample_chunks`, only the last `sample_chunks` chunks run the full update algorithm
    (and are measured); the ones before them are rewritten, unmeasured, as already translated,
    so the measured updates query a table as full as the real run's would. Every full update queries
    all `chunks` chunk items whatever came before, so its cost does not depend on the sample.
    """
    jobs_table, chunks_table = create_tables(client, prefix)
    meter.reset()
    store = DesignBaseline(client, jobs_table, chunks_table)

    def move(job_id: str, path: list[tuple[str, str]]) -> None:
        with meter.label("lifecycle"):
            for source, target in path:
                store.transition_job_state(job_id, source, target, "benchmark")

    with meter.label("create"):
        job_id = store.create_job(USER, chunks * 1500, chunks)
    move(
        job_id,
        [("VALIDATING", "VALIDATED"), ("VALIDATED", "QUEUED"), ("QUEUED", "CHUNKING")],
    )
    with meter.label("register"):
        store.register_chunks(job_id, [TOKENS_PER_CHUNK] * chunks)
    move(job_id, [("CHUNKING", "CHUNKED"), ("CHUNKED", "TRANSLATING")])

    measured = chunks if sample_chunks is None else min(chunks, sample_chunks)
    if measured < chunks:
        with meter.label("setup"):  # not part of any tally that is reported
            store.put_chunks(job_id, [TOKENS_PER_CHUNK] * chunks, completed=chunks - measured)

    stale = 0
    lock = threading.Lock()

    def apply(index: int, update: ChunkStatusUpdate) -> None:
        nonlocal stale
        try:
            store.update_chunk_status(job_id, index, update)
        except StaleTransitionError:
            with lock:
                stale += 1  # two reports both saw the last chunk done; the second is refused

    indexes = list(range(chunks - measured, chunks))
    with _Poller(meter, lambda: store.progress_handler(job_id, USER), poll_pause) as poller:
        wall = _apply(meter, "update", indexes, apply)
    with meter.label("final-read"):
        reached = store.get_job(job_id) or {}
    if reached.get("status") == "ASSEMBLING":
        move(job_id, [("ASSEMBLING", "FINALIZING"), ("FINALIZING", "COMPLETED")])
    with meter.label("final-read"):
        job = store.get_job(job_id) or {}
    final = {
        "status_after_updates": reached.get("status"),
        "status": job.get("status"),
        "chunks_completed": int(job.get("chunksCompleted", 0)),
        "chunks_completed_truth": chunks,
        "refused_duplicate_transitions": stale,
    }
    return _summary(
        meter,
        chunks=chunks,
        measured_chunks=measured,
        wall=wall,
        latencies=poller.latencies,
        final=final,
        events=store.events_published,
    )
