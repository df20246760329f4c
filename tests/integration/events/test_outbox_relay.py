"""The outbox relay against moto's server: stream records in, EventBridge events on a queue out."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from jobstate import (
    ChunkStatus,
    ChunkStatusUpdate,
    JobStateManager,
    JobStatus,
    QuotaExceededError,
)
from jobstate.events.relay import EventPublisher, RecentIds, StreamRelay
from jobstate.events.runtime import RelaySettings
from jobstate.handlers import stream_relay
from jobstate.local.stream_poller import StreamPoller
from jobstate.store import keys
from jobstate.store.events_bus import BusEntry, DeadLetterQueue, EventBusClient
from jobstate.store.streams import TableStream
from tests.integration.conftest import start_translation
from tests.integration.events.conftest import (
    Queue,
    complete_chunk,
    route_bus_to_queue,
    run_job,
)
from tests.support import create_request

S = JobStatus


class LambdaContext:
    function_name = "stream-relay"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:stream-relay"
    aws_request_id = "req-1"


def stream_records(table_name: str) -> list[dict[str, Any]]:
    """Every record now in the table's stream, shaped as Lambda delivers them."""
    stream = TableStream(table_name)
    records: list[dict[str, Any]] = []
    for shard in stream.shard_ids():
        iterator: str | None = stream.iterator(shard)
        while iterator:
            page = stream.read(iterator)
            if not page.records:
                break
            records += page.records
            iterator = page.next_iterator
    return records


def make_relay(events: Any = None, *, recent: RecentIds | None = None) -> StreamRelay:
    relay_settings = RelaySettings.from_env()
    queue_url = relay_settings.dead_letter_queue_url
    return StreamRelay(
        EventBusClient(relay_settings.bus_name, client=events),
        lookup=JobStateManager().get_job,
        dead_letters=DeadLetterQueue(queue_url) if queue_url else None,
        recent=recent,
        sleep=lambda _: None,
    )


def details(messages: list[dict[str, Any]], job_id: str | None = None) -> list[dict[str, Any]]:
    found = [m["detail"] for m in messages]
    return [d for d in found if job_id is None or d["jobId"] == job_id]


def expected_progress_versions(chunks: int) -> int:
    """How many completions (all but the last, which moves the job on) enter a new 5% step."""
    steps = [math.floor((15 + 70 * k / chunks) / 5) for k in range(chunks + 1)]
    return sum(1 for k in range(1, chunks) if steps[k] > steps[k - 1])


def test_every_transition_of_a_run_is_exactly_one_event_in_version_order(
    manager: JobStateManager, bus_queue: Queue, dead_letter_queue: Queue
) -> None:
    chunks = 15  # 4.67 points of progress a chunk: not every completion is a new 5% step
    job_id = manager.create_job(create_request()).job_id
    start_translation(manager, job_id, chunks)
    for index in range(chunks):
        if index % 5 == 0:
            # In-chunk progress moves the bar but is never an event of its own.
            progress = ChunkStatusUpdate(status=ChunkStatus.TRANSLATING, progress=60)
            manager.update_chunk_status(job_id, keys.chunk_id(job_id, index), index, progress)
        complete_chunk(manager, job_id, index, processing_time=900)
    manager.transition_job_state(job_id, S.ASSEMBLING, S.FINALIZING, _context("assembled"))
    manager.transition_job_state(job_id, S.FINALIZING, S.COMPLETED, _context("checked"))

    StreamPoller().drain()

    received = details(bus_queue.receive_all(), job_id)
    history = manager.get_job_history(job_id)
    transitions = [d for d in received if d["eventType"] != "JOB_PROGRESS_UPDATED"]
    assert [d["version"] for d in transitions] == [h.version for h in history]
    assert [(d.get("fromState"), d["toState"]) for d in transitions] == [
        (h.from_state, h.to_state) for h in history
    ]
    assert transitions[0]["eventType"] == "JOB_CREATED"
    assert transitions[-1]["eventType"] == "JOB_COMPLETED"
    assert {d["eventType"] for d in transitions[1:-1]} == {"JOB_STATE_CHANGED"}
    versions = [d["version"] for d in received]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert all(d["eventId"] == f"{job_id}:{d['version']}" for d in received)
    assert all(d["userId"] == "user-1" for d in received)
    progress = [d for d in received if d["eventType"] == "JOB_PROGRESS_UPDATED"]
    assert 0 < len(progress) == expected_progress_versions(chunks) < chunks - 1
    figures = [d["progress"]["overallProgress"] for d in progress]
    assert figures == sorted(figures) and all(15 < f < 85 for f in figures)
    assert transitions[-1]["progress"]["overallProgress"] == 100.0
    assert all("filename" not in d and "novel.docx" not in str(d) for d in received)
    assert dead_letter_queue.receive_all() == []


def _context(reason: str) -> Any:
    from jobstate import StateTransitionContext

    return StateTransitionContext(reason=reason)


def test_a_relay_that_crashes_mid_batch_and_runs_again_loses_nothing(
    manager: JobStateManager,
    bus_queue: Queue,
    dead_letter_queue: Queue,
    table_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jobs = [run_job(manager, 1) for _ in range(2)]
    event = {"Records": stream_records(table_name)}

    events = boto3.client("events")
    calls = Counter[str]()

    def crash_on_third_call(**_: Any) -> None:
        calls["PutEvents"] += 1
        if calls["PutEvents"] == 3:
            raise RuntimeError("the relay's container died")

    events.meta.events.register("before-call.events.PutEvents", crash_on_third_call)
    monkeypatch.setattr(stream_relay, "_relay", make_relay(events))
    with pytest.raises(RuntimeError):
        stream_relay.handler(event, LambdaContext())  # type: ignore[arg-type]
    first = details(bus_queue.receive_all())
    assert len(first) > 0

    # The stream delivers the same batch again, to a fresh container.
    monkeypatch.setattr(stream_relay, "_relay", make_relay())
    reply = stream_relay.handler(event, LambdaContext())  # type: ignore[arg-type]
    assert reply == {"batchItemFailures": []}
    second = details(bus_queue.receive_all())

    for job_id in jobs:
        history = {h.version for h in manager.get_job_history(job_id)}
        delivered = {d["version"] for d in first + second if d["jobId"] == job_id}
        assert history <= delivered
        again = [d["version"] for d in second if d["jobId"] == job_id]
        assert again == sorted(again)
    by_id: dict[str, dict[str, Any]] = {}
    for detail in first + second:
        assert by_id.setdefault(detail["eventId"], detail) == detail
    duplicates = [d for d in second if d["eventId"] in {f["eventId"] for f in first}]
    assert duplicates, "the re-run sends again what went out before the crash"
    assert dead_letter_queue.receive_all() == []


class PartialFailures:
    """Makes EventBridge refuse chosen entries: they are taken out of the request before it is
    sent and reported back as failed, as a real partial failure is."""

    def __init__(self, fail: dict[int, list[int]], code: str = "ThrottlingException") -> None:
        self.fail = fail  # call number -> positions in that call's entries that fail
        self.code = code
        self.calls = 0
        self.sizes: list[int] = []
        self.sent_details: list[list[str]] = []
        self._removed: list[int] = []
        self._empty = False

    def before(self, params: dict[str, Any], **_: Any) -> None:
        self.calls += 1
        entries = params["Entries"]
        self.sizes.append(len(entries))
        self.sent_details.append([e["Detail"] for e in entries])
        self._removed = [p for p in self.fail.get(self.calls, []) if p < len(entries)]
        kept = [e for p, e in enumerate(entries) if p not in self._removed]
        self._empty = not kept
        params["Entries"] = kept or entries[:1]  # validated before the short circuit answers

    def short_circuit(self, **_: Any) -> Any:
        """A request left with no entries is answered here: EventBridge would refuse it."""
        if not self._empty:
            return None
        return _Reply(), {"Entries": [], "ResponseMetadata": {"HTTPStatusCode": 200}}

    def after(self, parsed: dict[str, Any], **_: Any) -> None:
        for position in self._removed:
            failure = {"ErrorCode": self.code, "ErrorMessage": "injected by the test"}
            parsed["Entries"].insert(position, failure)
        parsed["FailedEntryCount"] = len(self._removed)
        self._removed = []

    def install(self, client: Any) -> None:
        client.meta.events.register("before-parameter-build.events.PutEvents", self.before)
        client.meta.events.register("before-call.events.PutEvents", self.short_circuit)
        client.meta.events.register("after-call.events.PutEvents", self.after)


class _Reply:
    status_code = 200
    headers: dict[str, str] = {}


def test_putevents_partial_failures_resend_only_the_failed_entries(
    manager: JobStateManager,
    bus_queue: Queue,
    dead_letter_queue: Queue,
    table_name: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    jobs = [manager.create_job(create_request(user=f"user-{n}")).job_id for n in range(12)]
    injector = PartialFailures({1: [0, 4], 2: [1]})
    events = boto3.client("events")
    injector.install(events)

    result = make_relay(events).process(stream_records(table_name))

    assert result.failed == [] and result.published == 12
    # One request of 10 creations, of which 2 are refused: only those 2 go again, one is
    # refused again and goes alone; then the last 2 creations.
    assert injector.sizes == [10, 2, 1, 2]
    first_call = injector.sent_details[0]
    assert injector.sent_details[1:3] == [[first_call[0], first_call[4]], [first_call[4]]]
    received = details(bus_queue.receive_all())
    assert sorted(d["jobId"] for d in received) == sorted(jobs)
    assert '"Name":"RelayFailures"' in capsys.readouterr().out
    assert dead_letter_queue.receive_all() == []


def test_entries_that_keep_failing_are_reported_and_hold_back_their_job_only(
    manager: JobStateManager, bus_queue: Queue, dead_letter_queue: Queue, table_name: str
) -> None:
    stuck = manager.create_job(create_request(user="stuck")).job_id
    manager.transition_job_state(stuck, S.CREATED, S.VALIDATING, _context("go"))
    other = manager.create_job(create_request(user="other")).job_id
    records = stream_records(table_name)
    # Every call refuses its first entry: the stuck job's creation, first in the stream.
    injector = PartialFailures({n: [0] for n in range(1, 5)})
    events = boto3.client("events")
    injector.install(events)

    result = make_relay(events).process(records)

    stuck_records = [
        r["dynamodb"]["SequenceNumber"]
        for r in records
        if r["dynamodb"]["Keys"]["PK"]["S"] == f"JOB#{stuck}"
        and r["dynamodb"]["Keys"]["SK"]["S"].startswith("HISTORY#")
    ]
    assert result.failed == stuck_records  # its creation, and the transition after it
    assert [d["jobId"] for d in details(bus_queue.receive_all())] == [other]
    assert dead_letter_queue.receive_all() == []

    retried = make_relay().process(
        [r for r in records if r["dynamodb"]["SequenceNumber"] >= stuck_records[0]]
    )
    assert retried.failed == []
    assert [d["version"] for d in details(bus_queue.receive_all(), stuck)] == [1, 2]


def test_an_entry_the_bus_refuses_for_good_goes_to_the_dead_letter_queue(
    manager: JobStateManager, bus_queue: Queue, dead_letter_queue: Queue, table_name: str
) -> None:
    job_id = manager.create_job(create_request()).job_id
    injector = PartialFailures({1: [0]}, code="MalformedDetail")
    events = boto3.client("events")
    injector.install(events)

    result = make_relay(events).process(stream_records(table_name))

    assert result.failed == [] and result.dead_lettered == 1 and injector.calls == 1
    [letter] = dead_letter_queue.receive_all()
    assert letter["errorCode"] == "MalformedDetail" and letter["eventId"] == f"{job_id}:1"


def test_a_malformed_record_is_dead_lettered_without_blocking_the_others(
    manager: JobStateManager, bus_queue: Queue, dead_letter_queue: Queue, table_name: str
) -> None:
    jobs = [run_job(manager, 1) for _ in range(2)]
    records = stream_records(table_name)
    malformed = {
        "eventName": "INSERT",
        "dynamodb": {
            "SequenceNumber": records[5]["dynamodb"]["SequenceNumber"] + "5",
            "Keys": {"PK": {"S": "JOB#JOB_BROKEN"}, "SK": {"S": "HISTORY#0000000001"}},
            "NewImage": {"jobId": {"S": "JOB_BROKEN"}, "version": {"S": "not a number"}},
        },
    }
    not_a_record = {"eventName": "UPSERT"}
    batch = [*records[:6], malformed, not_a_record, *records[6:]]

    result = make_relay().process(batch)

    assert result.failed == [] and result.dead_lettered == 2
    letters = dead_letter_queue.receive_all()
    assert [letter["record"] for letter in letters] == [malformed, not_a_record]
    received = details(bus_queue.receive_all())
    for job_id in jobs:
        history = [h.version for h in manager.get_job_history(job_id)]
        transitions = [
            d["version"]
            for d in received
            if d["jobId"] == job_id and d["eventType"] != "JOB_PROGRESS_UPDATED"
        ]
        assert transitions == history


def test_a_record_whose_job_item_is_in_another_batch_still_names_the_user(
    manager: JobStateManager, bus_queue: Queue, dead_letter_queue: Queue, table_name: str
) -> None:
    job_id = manager.create_job(create_request(user="owner-7")).job_id
    history_only = [
        r
        for r in stream_records(table_name)
        if r["dynamodb"]["Keys"]["SK"]["S"].startswith("HISTORY#")
    ]
    manager.transition_job_state(job_id, S.CREATED, S.VALIDATING, _context("go"))

    make_relay().process(history_only)

    [detail] = details(bus_queue.receive_all())
    assert detail["userId"] == "owner-7" and detail["eventType"] == "JOB_CREATED"
    # The job has moved on since version 1: figures as of version 1 are not known, so none.
    assert "progress" not in detail


def test_the_same_record_twice_in_a_batch_is_one_event(
    manager: JobStateManager, bus_queue: Queue, table_name: str
) -> None:
    manager.create_job(create_request())
    records = stream_records(table_name)
    doubled = [r for r in records for _ in range(2)]  # as moto does for UpdateItem inserts

    result = make_relay().process(doubled)

    assert result.failed == [] and result.published == 1
    assert len(bus_queue.receive_all()) == 1


def test_the_local_poller_creates_the_bus_and_relays_in_the_background(
    manager: JobStateManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = f"jobstate-local-{time.monotonic_ns()}"
    monkeypatch.setenv("EVENT_BUS_NAME", bus)
    monkeypatch.delenv("JOBSTATE_DEAD_LETTER_QUEUE_URL", raising=False)
    poller = StreamPoller(interval_seconds=0.05)

    poller.start()
    try:
        queue = route_bus_to_queue(bus)  # the bus exists: the poller created it
        job_id = run_job(manager, 2)
        received: list[dict[str, Any]] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(
            d["eventType"] == "JOB_COMPLETED" for d in received
        ):
            received += details(queue.receive_all(), job_id)
            time.sleep(0.05)
    finally:
        poller.stop()

    transitions = [d["version"] for d in received if d["eventType"] != "JOB_PROGRESS_UPDATED"]
    assert transitions == [h.version for h in manager.get_job_history(job_id)]


def test_a_change_that_did_not_commit_has_no_event(
    manager: JobStateManager, bus_queue: Queue, dead_letter_queue: Queue
) -> None:
    manager.create_job(create_request(user="solo"), max_active_jobs=1)
    with pytest.raises(QuotaExceededError):
        manager.create_job(create_request(user="solo"), max_active_jobs=1)

    StreamPoller().drain()

    assert [d["eventType"] for d in details(bus_queue.receive_all())] == ["JOB_CREATED"]


@dataclass
class Flaky:
    """Refuses every entry of the first `refusals` requests, then passes them to the bus."""

    bus: EventPublisher
    refusals: int

    def put_events(self, entries: Sequence[BusEntry]) -> list[str | None]:
        if self.refusals > 0:
            self.refusals -= 1
            return ["ThrottlingException"] * len(entries)
        return self.bus.put_events(entries)


def test_the_poller_reads_again_from_the_first_failed_record(
    manager: JobStateManager, bus_queue: Queue, dead_letter_queue: Queue
) -> None:
    job_id = run_job(manager, 1)
    poller = StreamPoller().prepare()
    assert poller._relay is not None
    poller._relay._publisher = Flaky(poller._relay._publisher, refusals=4)

    # Every attempt at the first event is refused: only the record before it (the job item's
    # own insert) counts as handled, and the next poll starts again at the refused one.
    assert poller.poll_once() == 1
    first = details(bus_queue.receive_all())
    poller.drain()
    second = details(bus_queue.receive_all())

    assert first == []
    versions = [d["version"] for d in second if d["eventType"] != "JOB_PROGRESS_UPDATED"]
    assert versions == [h.version for h in manager.get_job_history(job_id)]
