"""The relay's batching, ordering and failure handling, with an in-memory bus."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from jobstate import JobStatus, TranslationJobRecord
from jobstate.events.outbox import completion_step, plan_batch
from jobstate.events.relay import RecentIds, StreamRelay
from jobstate.store.events_bus import BusEntry
from tests.unit.events.records import job, job_change, transition

S = JobStatus


@dataclass
class MemoryBus:
    """Takes every entry, except those whose (job, version) is in `refuse` (with its code)."""

    refuse: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    requests: list[list[dict[str, Any]]] = field(default_factory=list)
    delivered: list[dict[str, Any]] = field(default_factory=list)

    def put_events(self, entries: Sequence[BusEntry]) -> list[str | None]:
        details = [json.loads(e.detail) for e in entries]
        self.requests.append(details)
        codes: list[str | None] = []
        for detail in details:
            queue = self.refuse.get((detail["jobId"], detail["version"]), [])
            code = queue.pop(0) if queue else None
            if code is None:
                self.delivered.append(detail)
            codes.append(code)
        return codes


@dataclass
class MemoryQueue:
    accept: bool = True
    letters: list[dict[str, Any]] = field(default_factory=list)

    def send(self, letters: Sequence[dict[str, Any]]) -> list[bool]:
        if self.accept:
            self.letters += letters
        return [self.accept] * len(letters)


def nobody(job_id: str) -> TranslationJobRecord | None:
    raise AssertionError(f"the batch holds job {job_id} itself; nothing should be read")


def relay(bus: MemoryBus, queue: MemoryQueue | None = None, **kwargs: Any) -> StreamRelay:
    return StreamRelay(bus, lookup=nobody, dead_letters=queue, sleep=lambda _: None, **kwargs)


def run_of(job_id: str, steps: int) -> list[dict[str, Any]]:
    path = [S.CREATED, S.VALIDATING, S.VALIDATED, S.QUEUED, S.CHUNKING, S.FAILED]
    record, records = transition(None, S.CREATED, job_id=job_id)
    for target in path[1:steps]:
        record, more = transition(record, target)
        records += more
    return records


def test_requests_hold_at_most_ten_entries_and_one_event_per_job() -> None:
    batch = [r for n in range(12) for r in run_of(f"JOB_{n:02d}", 3)]
    bus = MemoryBus()

    result = relay(bus).process(batch)

    assert result.failed == [] and result.published == 36
    assert [len(r) for r in bus.requests] == [10, 2] * 3
    for request in bus.requests:
        assert len({d["jobId"] for d in request}) == len(request)
    for n in range(12):
        versions = [d["version"] for d in bus.delivered if d["jobId"] == f"JOB_{n:02d}"]
        assert versions == [1, 2, 3]


def test_only_refused_entries_are_sent_again() -> None:
    batch = run_of("JOB_A", 2) + run_of("JOB_B", 2)
    bus = MemoryBus(refuse={("JOB_B", 1): ["ThrottlingException", "InternalFailure"]})

    result = relay(bus).process(batch)

    assert result.failed == []
    assert [[(d["jobId"], d["version"]) for d in r] for r in bus.requests] == [
        [("JOB_A", 1), ("JOB_B", 1)],
        [("JOB_B", 1)],
        [("JOB_B", 1)],
        [("JOB_A", 2), ("JOB_B", 2)],
    ]


def test_a_job_whose_event_keeps_failing_is_held_back_and_reported() -> None:
    batch = run_of("JOB_A", 3) + run_of("JOB_B", 3)
    bus = MemoryBus(refuse={("JOB_A", 2): ["ThrottlingException"] * 10})

    result = relay(bus).process(batch)

    history_of_a = [r for r in batch[:6] if "HISTORY" in r["dynamodb"]["Keys"]["SK"]["S"]]
    assert result.failed == [r["dynamodb"]["SequenceNumber"] for r in history_of_a[1:]]
    assert [d["version"] for d in bus.delivered if d["jobId"] == "JOB_A"] == [1]
    assert [d["version"] for d in bus.delivered if d["jobId"] == "JOB_B"] == [1, 2, 3]
    assert result.batch_response() == {
        "batchItemFailures": [{"itemIdentifier": s} for s in result.failed]
    }


def test_a_refusal_for_good_is_dead_lettered_and_later_events_go_on() -> None:
    batch = run_of("JOB_A", 3)
    bus = MemoryBus(refuse={("JOB_A", 2): ["MalformedDetail"]})
    queue = MemoryQueue()

    result = relay(bus, queue).process(batch)

    assert result.failed == [] and result.dead_lettered == 1
    assert [d["version"] for d in bus.delivered] == [1, 3]
    [letter] = queue.letters
    assert letter["errorCode"] == "MalformedDetail" and letter["eventId"] == "JOB_A:2"
    assert len(bus.requests) == 3  # a refusal for good is not sent again


def test_without_a_dead_letter_destination_the_record_is_reported_not_dropped() -> None:
    broken = {"eventName": "INSERT", "dynamodb": {"SequenceNumber": "77", "Keys": {}}}
    result = relay(MemoryBus(), None).process([broken, *run_of("JOB_A", 1)])
    assert result.failed == ["77"] and result.published == 1


def test_a_record_that_cannot_be_named_or_dead_lettered_fails_the_batch() -> None:
    with pytest.raises(RuntimeError):
        relay(MemoryBus(), MemoryQueue(accept=False)).process([{"eventName": "INSERT"}])


def test_duplicates_are_sent_once_and_a_poller_skips_what_it_already_sent() -> None:
    batch = run_of("JOB_A", 2)
    recent = RecentIds()
    bus = MemoryBus()

    first = relay(bus, recent=recent).process(batch + batch)
    again = relay(bus, recent=recent).process(batch)

    assert (first.published, first.skipped_duplicates) == (2, 2)
    assert (again.published, again.skipped_duplicates) == (0, 2)
    assert [d["eventId"] for d in bus.delivered] == ["JOB_A:1", "JOB_A:2"]


def test_details_carry_the_figures_and_never_the_filename() -> None:
    batch = run_of("JOB_A", 6)  # ends in FAILED
    bus = MemoryBus()
    relay(bus).process(batch)
    assert [d["eventType"] for d in bus.delivered] == [
        "JOB_CREATED",
        *["JOB_STATE_CHANGED"] * 4,
        "JOB_FAILED",
    ]
    created = bus.delivered[0]
    assert created["targetLanguage"] == "es" and created["userId"] == "user-1"
    assert "fromState" not in created and created["progress"]["overallProgress"] == 0.0
    assert all("secret-plans" not in json.dumps(d) for d in bus.delivered)


def progressed(chunks_completed: int, total: int, **changes: Any) -> TranslationJobRecord:
    return job(
        status=S.TRANSLATING,
        work_stage=S.TRANSLATING,
        total_chunks=total,
        chunks_completed=chunks_completed,
        chunk_units=100.0 * chunks_completed,
        version=10 + chunks_completed,
        **changes,
    )


def test_progress_events_come_only_from_completions_entering_a_new_step() -> None:
    total = 40  # 1.75 points of progress per chunk
    records = []
    for done in range(1, total):
        before, after = progressed(done - 1, total), progressed(done, total)
        records.append(job_change(before, after))
    # An in-chunk update moves chunk units but completes nothing.
    before = progressed(3, total)
    records.append(job_change(before, before.model_copy(update={"chunk_units": 350.0})))

    plans = plan_batch(records, nobody)

    events = [p.event for p in plans if p.event is not None]
    steps = [completion_step(progressed(done, total)) for done in range(total)]
    assert len(events) == sum(1 for k in range(1, total) if steps[k] > steps[k - 1])
    assert len(events) < total // 2
    assert plans[-1].event is None
    assert {e.event_type.value for e in events} == {"JOB_PROGRESS_UPDATED"}


def test_a_transition_record_of_the_job_item_is_not_a_progress_event() -> None:
    before = progressed(3, 4)
    after = before.model_copy(
        update={"status": S.ASSEMBLING, "chunks_completed": 4, "version": before.version + 1}
    )
    [plan] = plan_batch([job_change(before, after)], nobody)
    assert plan.event is None
