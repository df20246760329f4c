"""The relay of the local service: polls moto's DynamoDB stream and publishes to the bus.

In AWS a Lambda on the stream does this; here a background thread reads each shard the way the
event source mapping would, and, like it, reads a batch again from its first failed record.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from jobstate.config import Settings
from jobstate.events.relay import RecentIds, StreamRelay
from jobstate.events.runtime import RelaySettings, build_relay
from jobstate.observability import logger
from jobstate.store.streams import TableStream

DEFAULT_DEAD_LETTER_QUEUE = "jobstate-relay-dead-letters"
POLL_INTERVAL_SECONDS = 0.1
# An idle stream is polled less and less often, up to this, so the single-threaded emulator
# spends its time on requests; the first records found bring the interval back down.
MAX_IDLE_INTERVAL_SECONDS = 1.0
SHARD_REFRESH_SECONDS = 10.0
BATCH_SIZE = 100


@dataclass
class _Shard:
    iterator: str | None = None
    checkpoint: str | None = None  # the last sequence number fully handled
    closed: bool = False


@dataclass
class StreamPoller:
    """A background service with `start()` and `stop()`, as `jobstate serve` expects."""

    settings: Settings = field(default_factory=Settings.from_env)
    relay_settings: RelaySettings = field(default_factory=RelaySettings.from_env)
    interval_seconds: float = POLL_INTERVAL_SECONDS
    dead_letter_queue_name: str = DEFAULT_DEAD_LETTER_QUEUE
    _relay: StreamRelay | None = field(default=None, repr=False)
    _stream: TableStream | None = field(default=None, repr=False)
    _shards: dict[str, _Shard] = field(default_factory=dict, repr=False)
    _shards_listed_at: float = field(default=0.0, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def prepare(self) -> StreamPoller:
        """Create the bus (and a dead-letter queue, unless one is configured) if missing."""
        from jobstate.store.events_bus import EventBusClient, ensure_queue

        region = self.settings.region
        if EventBusClient(self.relay_settings.bus_name, region=region).ensure_bus():
            logger.debug("event bus created", extra={"bus": self.relay_settings.bus_name})
        if self.relay_settings.dead_letter_queue_url is None:
            url = ensure_queue(self.dead_letter_queue_name, region=region)
            self.relay_settings = self.relay_settings.model_copy(
                update={"dead_letter_queue_url": url}
            )
        self._stream = TableStream(self.settings.table_name, region=region)
        self._relay = build_relay(self.relay_settings, self.settings, recent=RecentIds())
        return self

    def start(self) -> StreamPoller:
        if self._relay is None:
            self.prepare()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="stream-relay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        wait = self.interval_seconds
        while not self._stop.is_set():
            try:
                handled = self.poll_once()
            except Exception as error:  # the thread must outlive a failed poll
                logger.warning("stream poll failed; retrying", extra={"error": str(error)})
                handled = 0
            if handled:
                wait = self.interval_seconds
                continue
            self._stop.wait(wait)
            wait = min(wait * 2, max(MAX_IDLE_INTERVAL_SECONDS, self.interval_seconds))

    def poll_once(self) -> int:
        """Read one page of every shard and relay it; returns how many records were handled."""
        if self._relay is None or self._stream is None:
            self.prepare()
        assert self._relay is not None and self._stream is not None
        handled = 0
        now = time.monotonic()
        if not self._shards or now - self._shards_listed_at > SHARD_REFRESH_SECONDS:
            for shard_id in self._stream.shard_ids():
                self._shards.setdefault(shard_id, _Shard())
            self._shards_listed_at = now
        for shard_id in list(self._shards):
            shard = self._shards[shard_id]
            if shard.closed:
                continue
            handled += self._poll_shard(shard_id, shard, self._relay)
        return handled

    def drain(self, max_polls: int = 1000) -> int:
        """Poll until a pass finds nothing new (for tests and scripts); returns records handled."""
        total = 0
        for _ in range(max_polls):
            handled = self.poll_once()
            if not handled:
                return total
            total += handled
        return total

    def _poll_shard(self, shard_id: str, shard: _Shard, relay: StreamRelay) -> int:
        stream = self._stream
        assert stream is not None
        if shard.iterator is None:
            shard.iterator = stream.iterator(shard_id, after_sequence=shard.checkpoint)
        try:
            page = stream.read(shard.iterator, limit=BATCH_SIZE)
        except Exception:
            shard.iterator = None  # expired or trimmed: start again from the checkpoint
            raise
        if not page.records:
            shard.iterator = page.next_iterator
            shard.closed = page.next_iterator is None
            return 0
        result = relay.process(page.records)
        if result.failed:
            # As Lambda does: everything from the first failed record comes again.
            first = result.failed[0]
            handled = [r["dynamodb"]["SequenceNumber"] for r in page.records]
            before = handled[: handled.index(first)]
            shard.checkpoint = before[-1] if before else shard.checkpoint
            shard.iterator = stream.iterator(shard_id, at_sequence=first)
            return len(before)
        shard.checkpoint = page.records[-1]["dynamodb"]["SequenceNumber"]
        shard.iterator = page.next_iterator
        return len(page.records)
