"""The EventBridge bus and the SQS dead-letter queue the relay writes to (boto3 lives here).

Endpoints come from the standard AWS variables, so the same code talks to AWS or to moto.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_sqs import SQSClient

PUT_EVENTS_LIMIT = 10
SEND_MESSAGE_BATCH_LIMIT = 10
# The relay resends failed entries itself, entry by entry; botocore's own retries would resend
# the whole request, so they are kept to connection faults.
_CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"})


@dataclass(frozen=True)
class BusEntry:
    source: str
    detail_type: str
    detail: str
    time: datetime


class EventBusClient:
    """PutEvents on one bus, answering per entry: None when it went out, else the error code."""

    def __init__(
        self, bus_name: str, *, region: str | None = None, client: EventBridgeClient | None = None
    ) -> None:
        self.bus_name = bus_name
        self._region = region
        self._client = client

    @property
    def client(self) -> EventBridgeClient:
        if self._client is None:
            self._client = boto3.client("events", region_name=self._region, config=_CONFIG)
        return self._client

    def ensure_bus(self) -> bool:
        """Create the bus if it is missing. Returns True when it was created."""
        try:
            self.client.describe_event_bus(Name=self.bus_name)
            return False
        except self.client.exceptions.ResourceNotFoundException:
            pass
        try:
            self.client.create_event_bus(Name=self.bus_name)
        except self.client.exceptions.ResourceAlreadyExistsException:
            return False
        return True

    def put_events(self, entries: Sequence[BusEntry]) -> list[str | None]:
        if len(entries) > PUT_EVENTS_LIMIT:
            raise ValueError(f"PutEvents takes at most {PUT_EVENTS_LIMIT} entries")
        request: Any = [
            {
                "Source": entry.source,
                "DetailType": entry.detail_type,
                "Detail": entry.detail,
                "Time": entry.time,
                "EventBusName": self.bus_name,
            }
            for entry in entries
        ]
        try:
            response = self.client.put_events(Entries=request)
        except ClientError as error:
            # The whole request was refused (throttled, for one): every entry failed alike.
            code = str(error.response.get("Error", {}).get("Code", "ClientError"))
            return [code] * len(entries)
        except BotoCoreError as error:
            return [type(error).__name__] * len(entries)
        results = response.get("Entries", [])
        if len(results) != len(entries):
            return ["InternalFailure"] * len(entries)
        return [r.get("ErrorCode") if not r.get("EventId") else None for r in results]


class DeadLetterQueue:
    """An SQS queue holding what the relay could not deliver, for an operator to redrive."""

    def __init__(
        self, queue_url: str, *, region: str | None = None, client: SQSClient | None = None
    ) -> None:
        self.queue_url = queue_url
        self._region = region
        self._client = client

    @property
    def client(self) -> SQSClient:
        if self._client is None:
            self._client = boto3.client("sqs", region_name=self._region, config=_CONFIG)
        return self._client

    def send(self, letters: Sequence[dict[str, Any]]) -> list[bool]:
        """Send each letter as one message; answers per letter whether it was accepted."""
        accepted: list[bool] = []
        for start in range(0, len(letters), SEND_MESSAGE_BATCH_LIMIT):
            chunk = letters[start : start + SEND_MESSAGE_BATCH_LIMIT]
            request: Any = [
                {"Id": str(position), "MessageBody": json.dumps(letter, default=str)}
                for position, letter in enumerate(chunk)
            ]
            try:
                response = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=request)
            except (ClientError, BotoCoreError):
                accepted += [False] * len(chunk)
                continue
            ok = {entry["Id"] for entry in response.get("Successful", [])}
            accepted += [str(position) in ok for position in range(len(chunk))]
        return accepted


def ensure_queue(queue_name: str, *, region: str | None = None) -> str:
    """The URL of the named queue, created if missing (for the local service)."""
    client: SQSClient = boto3.client("sqs", region_name=region, config=_CONFIG)
    return client.create_queue(QueueName=queue_name)["QueueUrl"]
