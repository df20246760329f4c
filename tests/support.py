"""Test helpers: request counting and fault injection through botocore's event hooks."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ConnectionClosedError

from jobstate import CreateJobRequest


def create_request(user: str = "user-1", **overrides: Any) -> CreateJobRequest:
    body: dict[str, Any] = {
        "userId": user,
        "documentId": "doc-1",
        "filename": "novel.docx",
        "targetLanguage": "es",
        "documentMetadata": {"wordCount": 12000, "fileSize": 64000, "contentHash": "sha256:abc123"},
        "priority": "NORMAL",
    }
    body.update(overrides)
    return CreateJobRequest.model_validate(body)


@dataclass
class RequestCounter:
    """Counts the API calls a client makes, by operation name (botocore `before-call`)."""

    calls: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, model: Any, **_: Any) -> None:
        with self.lock:
            self.calls[model.name] += 1

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()

    @property
    def reads(self) -> int:
        return sum(self.calls[n] for n in ("GetItem", "Query", "Scan", "BatchGetItem"))

    @property
    def writes(self) -> int:
        names = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
        return sum(self.calls[n] for n in names)


@contextmanager
def counting(client: Any) -> Iterator[RequestCounter]:
    counter = RequestCounter()
    client.meta.events.register("before-call.dynamodb", counter)
    try:
        yield counter
    finally:
        client.meta.events.unregister("before-call.dynamodb", counter)


class _FakeHttp:
    status_code = 400
    headers: dict[str, str] = {}


@dataclass
class FaultInjector:
    """Answers the next `count` calls of `operation` with an error, without sending them."""

    operation: str
    error_code: str
    count: int
    cancellation_code: str | None = None
    injected: int = 0

    def __call__(self, **_: Any) -> tuple[_FakeHttp, dict[str, Any]] | None:
        if self.injected >= self.count:
            return None
        self.injected += 1
        parsed: dict[str, Any] = {
            "Error": {"Code": self.error_code, "Message": "injected by the test"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        if self.cancellation_code:
            parsed["CancellationReasons"] = [{"Code": self.cancellation_code}]
        return _FakeHttp(), parsed


@contextmanager
def injecting(client: Any, injector: FaultInjector) -> Iterator[FaultInjector]:
    event = f"before-call.dynamodb.{injector.operation}"
    client.meta.events.register(event, injector)
    try:
        yield injector
    finally:
        client.meta.events.unregister(event, injector)


class LostReplyError(Exception):
    """The write reached the table but its reply never came back."""


@dataclass
class ReplyLoser:
    """Raises after `operation` has been carried out, `count` times."""

    operation: str
    count: int
    lost: int = 0

    connection_error: bool = False

    def __call__(self, **_: Any) -> None:
        if self.lost < self.count:
            self.lost += 1
            if self.connection_error:
                raise ConnectionClosedError(endpoint_url="http://lost")
            raise LostReplyError(self.operation)


@contextmanager
def losing_replies(client: Any, loser: ReplyLoser) -> Iterator[ReplyLoser]:
    event = f"after-call.dynamodb.{loser.operation}"
    client.meta.events.register(event, loser)
    try:
        yield loser
    finally:
        client.meta.events.unregister(event, loser)
