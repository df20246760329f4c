"""The outbox relay: a batch of stream records in, events on the bus, failures reported back.

The stream delivers at least once, so the relay is built to be run again on the same records:
every event has a stable id, and a batch is answered with the records that must come again.

- PutEvents takes at most 10 entries and holds at most one event per job, so a job's events go
  out in version order even when some entries fail; only the failed entries are resent.
- An entry that keeps failing for a reason that may pass (throttling, an outage) is reported
  as a failed record, and every later record of the same job with it, so the stream delivers
  them again in order. The other jobs' records are not held up.
- A record that can never be published (malformed, refused for good) goes to the dead-letter
  destination and is not reported, so it neither blocks the shard nor is lost.
"""

from __future__ import annotations

import random
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from jobstate import metric_names as names
from jobstate.events.metrics import MetricPoint, count, emit
from jobstate.events.models import EVENT_SOURCE
from jobstate.events.outbox import JobLookup, OutboxEvent, PlanStatus, RecordPlan, plan_batch
from jobstate.lifecycle.recovery import BackoffPolicy, full_jitter_delay
from jobstate.observability import logger
from jobstate.store.events_bus import PUT_EVENTS_LIMIT, BusEntry

PUT_ATTEMPTS = 4
PUT_BACKOFF = BackoffPolicy(base_seconds=0.05, cap_seconds=1.0)
# Entry errors that can pass with time; any other code is a refusal that no resend will change.
RETRYABLE_ENTRY_CODES = frozenset(
    {
        "InternalFailure",
        "InternalException",
        "ThrottlingException",
        "ServiceUnavailable",
        "ConcurrentModificationException",
        "EndpointConnectionError",
        "ConnectionClosedError",
        "ReadTimeoutError",
        "ConnectTimeoutError",
    }
)
RECENT_IDS_KEPT = 10_000


class EventPublisher(Protocol):
    def put_events(self, entries: Sequence[BusEntry]) -> list[str | None]: ...


class DeadLetterSink(Protocol):
    def send(self, letters: Sequence[dict[str, Any]]) -> list[bool]: ...


class RecentIds:
    """Ids of events already published by this process, so a long-lived poller skips repeats."""

    def __init__(self, size: int = RECENT_IDS_KEPT) -> None:
        self._size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> None:
        self._ids[event_id] = None
        self._ids.move_to_end(event_id)
        while len(self._ids) > self._size:
            self._ids.popitem(last=False)


@dataclass
class RelayResult:
    failed: list[str] = field(default_factory=list)  # sequence numbers to deliver again
    published: int = 0
    dead_lettered: int = 0
    skipped_duplicates: int = 0

    def batch_response(self) -> dict[str, list[dict[str, str]]]:
        """Lambda's partial batch response for a stream event source."""
        return {"batchItemFailures": [{"itemIdentifier": s} for s in self.failed]}


@dataclass
class _Outgoing:
    event: OutboxEvent
    plans: list[RecordPlan]  # the record and any duplicate of it in the same batch


class StreamRelay:
    def __init__(
        self,
        publisher: EventPublisher,
        *,
        lookup: JobLookup,
        dead_letters: DeadLetterSink | None,
        recent: RecentIds | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._publisher = publisher
        self._lookup = lookup
        self._dead_letters = dead_letters
        self._recent = recent
        self._rng = rng or random.Random()
        self._sleep = sleep

    def process(self, records: Sequence[dict[str, Any]]) -> RelayResult:
        """Publish what `records` imply. Raises only when a failure cannot be reported."""
        result = RelayResult()
        plans = plan_batch(records, self._lookup)
        relay_metrics: list[MetricPoint] = []

        malformed = [
            (p, self._letter(p, "MALFORMED_RECORD", p.problem))
            for p in plans
            if p.status == PlanStatus.MALFORMED
        ]
        failed = self._dead_letter(malformed, result, relay_metrics)

        deferred = [p for p in plans if p.status == PlanStatus.RETRY]
        for plan in deferred:
            logger.warning(
                "stream record deferred", extra={"job_id": plan.job_id, "reason": plan.problem}
            )
        failed |= {p.position for p in deferred}
        held_jobs = {p.job_id for p in deferred if p.job_id is not None}

        failed |= self._send(self._queues(plans, result), held_jobs, result, relay_metrics)

        emit(self._settled_metrics(plans, failed) + relay_metrics)
        result.failed = self._sequence_numbers(plans, failed)
        logger.debug(
            "stream batch relayed",
            extra={
                "records": len(plans),
                "published": result.published,
                "failed": len(result.failed),
                "dead_lettered": result.dead_lettered,
            },
        )
        return result

    def _send(
        self,
        queues: dict[str, list[_Outgoing]],
        held_jobs: set[str],
        result: RelayResult,
        metrics: list[MetricPoint],
    ) -> set[int]:
        """Send the jobs' events wave by wave; returns the positions of records to fail."""
        failed: set[int] = set()
        undeliverable: list[tuple[RecordPlan, dict[str, Any]]] = []
        while any(queues.values()):
            wave: list[_Outgoing] = []
            for job_id, queue in queues.items():
                if queue and job_id in held_jobs:
                    # Sending a later version first would break the job's order.
                    failed |= {p.position for out in queue for p in out.plans}
                    queue.clear()
                elif queue:
                    wave.append(queue.pop(0))
            for out, code in zip(wave, self._publish(wave, metrics), strict=True):
                if code is None:
                    result.published += 1
                    if self._recent is not None:
                        self._recent.add(out.event.event_id)
                elif code in RETRYABLE_ENTRY_CODES:
                    logger.warning(
                        "event not taken by the bus; its record will be delivered again",
                        extra={
                            "job_id": out.event.job_id,
                            "correlation_id": out.event.event_id,
                            "error_code": code,
                        },
                    )
                    held_jobs.add(out.event.job_id)
                    failed |= {p.position for p in out.plans}
                else:
                    undeliverable += [
                        (p, self._letter(p, code, "the bus refused the event", out.event))
                        for p in out.plans
                    ]
        return failed | self._dead_letter(undeliverable, result, metrics)

    @staticmethod
    def _settled_metrics(plans: list[RecordPlan], failed: set[int]) -> list[MetricPoint]:
        """Metrics of the records handled for good, each record counted once per batch."""
        # Limitation: a record delivered again in a later batch (after a crash, or after a
        # reported failure) is counted again; events carry ids to dedupe, metrics do not.
        seen: set[str] = set()
        points: list[MetricPoint] = []
        for plan in plans:
            if plan.position in failed or plan.status != PlanStatus.READY:
                continue
            if plan.sequence_number is not None:
                if plan.sequence_number in seen:
                    continue
                seen.add(plan.sequence_number)
            points += plan.metrics
        return points

    def _queues(
        self, plans: Iterable[RecordPlan], result: RelayResult
    ) -> dict[str, list[_Outgoing]]:
        """Each job's events in stream (so version) order, one per id."""
        queues: dict[str, list[_Outgoing]] = {}
        by_id: dict[str, _Outgoing] = {}
        for plan in plans:
            event = plan.event
            if plan.status != PlanStatus.READY or event is None:
                continue
            if event.event_id in by_id:
                by_id[event.event_id].plans.append(plan)  # the same change delivered twice
                result.skipped_duplicates += 1
                plan.metrics = []  # counted with the first copy
                continue
            if self._recent is not None and event.event_id in self._recent:
                result.skipped_duplicates += 1
                plan.metrics = []  # counted when it was published
                continue
            outgoing = _Outgoing(event, [plan])
            by_id[event.event_id] = outgoing
            queues.setdefault(event.job_id, []).append(outgoing)
        return queues

    def _publish(self, wave: list[_Outgoing], metrics: list[MetricPoint]) -> list[str | None]:
        """Send one wave in requests of at most 10, resending only the entries that failed."""
        outcome: list[str | None] = [None] * len(wave)
        for start in range(0, len(wave), PUT_EVENTS_LIMIT):
            pending = list(range(start, min(start + PUT_EVENTS_LIMIT, len(wave))))
            for attempt in range(PUT_ATTEMPTS):
                codes = self._publisher.put_events([_entry(wave[i].event) for i in pending])
                retry: list[int] = []
                for index, code in zip(pending, codes, strict=True):
                    outcome[index] = code
                    if code is not None:
                        metrics.append(count(names.RELAY_FAILURES, ErrorCode=code))
                        if code in RETRYABLE_ENTRY_CODES:
                            retry.append(index)
                if not retry or attempt == PUT_ATTEMPTS - 1:
                    break
                logger.warning(
                    "resending events the bus did not take",
                    extra={"entries": len(retry), "attempt": attempt + 1},
                )
                self._sleep(full_jitter_delay(attempt, PUT_BACKOFF, self._rng))
                pending = retry
        return outcome

    def _letter(
        self, plan: RecordPlan, code: str, problem: str | None, event: OutboxEvent | None = None
    ) -> dict[str, Any]:
        letter: dict[str, Any] = {
            "errorCode": code,
            "problem": problem,
            "sequenceNumber": plan.sequence_number,
            "record": plan.raw,
        }
        if event is not None:
            letter["eventId"] = event.event_id
            letter["detailType"] = event.detail_type
            letter["detail"] = event.detail
        return letter

    def _dead_letter(
        self,
        letters: list[tuple[RecordPlan, dict[str, Any]]],
        result: RelayResult,
        metrics: list[MetricPoint],
    ) -> set[int]:
        """Send `letters`; returns the positions that could not be sent (and so must fail)."""
        if not letters:
            return set()
        if self._dead_letters is None:
            accepted = [False] * len(letters)
        else:
            accepted = self._dead_letters.send([letter for _, letter in letters])
        failed: set[int] = set()
        for (plan, letter), ok in zip(letters, accepted, strict=True):
            extra = {
                "job_id": plan.job_id,
                "correlation_id": letter.get("eventId"),
                "error_code": letter["errorCode"],
                "problem": letter["problem"],
                "sequence_number": plan.sequence_number,
            }
            if ok:
                result.dead_lettered += 1
                metrics.append(count(names.RELAY_DEAD_LETTERS, ErrorCode=letter["errorCode"]))
                logger.error("stream record sent to the dead-letter queue", extra=extra)
            else:
                failed.add(plan.position)
                logger.error("stream record could not be dead-lettered", extra=extra)
        return failed

    @staticmethod
    def _sequence_numbers(plans: list[RecordPlan], failed: set[int]) -> list[str]:
        numbers: list[str] = []
        for plan in plans:
            if plan.position not in failed:
                continue
            if plan.sequence_number is None:
                # Nothing names this record to the stream; failing the whole batch is the
                # only way to have it delivered again.
                raise RuntimeError("a record without a sequence number could not be handled")
            numbers.append(plan.sequence_number)
        return numbers


def _entry(event: OutboxEvent) -> BusEntry:
    return BusEntry(
        source=EVENT_SOURCE, detail_type=event.detail_type, detail=event.detail, time=event.at
    )
