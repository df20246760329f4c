"""Counts every DynamoDB request a client sends, its bytes each way and the capacity it would cost.

Attached through botocore event hooks; each request is booked under the label its thread is
working for (creation, chunk update, progress poll...), so one shared client can serve all.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

READ_UNIT = 4096
WRITE_UNIT = 1024

# Looks an item up by table and wire-format key after a write, so an UpdateItem is charged for
# the size of the item it left behind (the request alone does not say how big that is).
ItemLookup = Callable[[str, dict[str, Any]], dict[str, Any] | None]


def value_size(value: dict[str, Any]) -> int:
    """Bytes DynamoDB counts for one attribute value (its documented sizing rules)."""
    kind, raw = next(iter(value.items()))
    if kind == "S":
        return len(str(raw).encode())
    if kind == "N":
        digits = str(raw).lstrip("-").replace(".", "").lstrip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(raw) if isinstance(raw, bytes) else math.ceil(len(str(raw)) * 3 / 4)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in raw.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in raw)
    if kind in ("SS", "NS", "BS"):
        return sum(value_size({kind[0]: v}) for v in raw)
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def read_units(total_bytes: int, consistent: bool) -> float:
    units = max(1, math.ceil(total_bytes / READ_UNIT))
    return float(units) if consistent else units / 2


def write_units(size: int) -> int:
    return max(1, math.ceil(size / WRITE_UNIT))


@dataclass
class Tally:
    requests: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    read_units: float = 0.0
    write_units: float = 0.0
    operations: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.requests += other.requests
        self.bytes_sent += other.bytes_sent
        self.bytes_received += other.bytes_received
        self.read_units += other.read_units
        self.write_units += other.write_units
        self.operations.update(other.operations)

    def scaled(self, factor: float) -> dict[str, Any]:
        return {
            "requests": self.requests * factor,
            "bytes_sent": self.bytes_sent * factor,
            "bytes_received": self.bytes_received * factor,
            "bytes": (self.bytes_sent + self.bytes_received) * factor,
            "read_units": self.read_units * factor,
            "write_units": self.write_units * factor,
            "operations": {k: v * factor for k, v in sorted(self.operations.items())},
        }


class Meter:
    """Tallies per label; `with meter.label("poll"):` books this thread's requests as polls."""

    def __init__(self, lookup: ItemLookup | None = None) -> None:
        self._lookup = lookup
        self._lock = threading.Lock()
        self._local = threading.local()
        self.tallies: dict[str, Tally] = {}

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.dynamodb", self._before_call)
        client.meta.events.register("before-send.dynamodb", self._before_send)
        client.meta.events.register("after-call.dynamodb", self._after_call)

    @contextmanager
    def label(self, name: str) -> Iterator[None]:
        previous = getattr(self._local, "label", None)
        self._local.label = name
        try:
            yield
        finally:
            self._local.label = previous

    def tally(self, name: str) -> Tally:
        with self._lock:
            return self.tallies.setdefault(name, Tally())

    def reset(self) -> None:
        with self._lock:
            self.tallies.clear()

    def _current(self) -> Tally:
        return self.tally(getattr(self._local, "label", None) or "other")

    def _before_call(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        body = params.get("body") or b"{}"
        context["bench_params"] = json.loads(body)

    def _before_send(self, request: Any, **_: Any) -> None:
        # One per HTTP attempt, so a retried request is counted each time it is sent.
        body = request.body or b""
        size = len(body if isinstance(body, bytes) else str(body).encode())
        tally = self._current()
        with self._lock:
            tally.requests += 1
            tally.bytes_sent += size

    def _after_call(
        self,
        http_response: Any,
        parsed: dict[str, Any],
        model: Any,
        context: dict[str, Any],
        **_: Any,
    ) -> None:
        params = context.get("bench_params", {})
        received = len(http_response.content or b"")
        reads, writes = self._capacity(model.name, params, parsed, http_response.status_code)
        tally = self._current()
        with self._lock:
            tally.bytes_received += received
            tally.read_units += reads
            tally.write_units += writes
            tally.operations[model.name] += 1

    def _capacity(
        self, operation: str, params: dict[str, Any], parsed: dict[str, Any], status: int
    ) -> tuple[float, float]:
        consistent = bool(params.get("ConsistentRead"))
        if operation == "GetItem":
            return read_units(item_size(parsed.get("Item") or {}), consistent), 0.0
        if operation == "Query":
            if params.get("Select") == "COUNT":
                return read_units(0, consistent), 0.0
            return read_units(sum(item_size(i) for i in parsed.get("Items", [])), consistent), 0.0
        if operation == "PutItem":
            return 0.0, write_units(item_size(params["Item"]))
        if operation == "UpdateItem":
            return 0.0, self._updated_units(params["TableName"], params["Key"])
        if operation == "BatchWriteItem":
            units = 0
            for requests in params.get("RequestItems", {}).values():
                for entry in requests:
                    if "PutRequest" in entry:
                        units += write_units(item_size(entry["PutRequest"]["Item"]))
                    else:
                        units += 1
            return 0.0, float(units)
        if operation == "TransactWriteItems":
            # A transaction writes every item twice (prepare and commit), committed or not.
            units = 0
            for entry in params.get("TransactItems", []):
                kind, action = next(iter(entry.items()))
                if kind == "Put":
                    units += write_units(item_size(action["Item"]))
                elif kind == "Update":
                    units += self._updated_units(action["TableName"], action["Key"])
                else:
                    units += 1
            return 0.0, 2.0 * units
        return 0.0, 0.0

    def _updated_units(self, table: str, key: dict[str, Any]) -> int:
        item = self._lookup(table, key) if self._lookup else None
        return write_units(item_size(item) if item else 0)


def moto_item_lookup(account: str = "123456789012", region: str = "us-east-1") -> ItemLookup:
    """An ItemLookup that reads moto's in-process backend (the server runs in this process)."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    def lookup(table_name: str, key: dict[str, Any]) -> dict[str, Any] | None:
        table = dynamodb_backends[account][region].tables.get(table_name)
        if table is None:
            return None
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        item = table.get_item(hash_value, range_value)
        if item is None:
            return None
        attributes: dict[str, Any] = item.to_json()["Attributes"]
        return attributes

    return lookup
