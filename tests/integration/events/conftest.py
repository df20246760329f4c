"""Fixtures for the event relay: a bus with a rule to an SQS queue, and a dead-letter queue."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from jobstate import ChunkStatus, ChunkStatusUpdate, JobStateManager, JobStatus
from jobstate.events.models import EVENT_SOURCE
from jobstate.local.moto_server import MotoServer
from jobstate.store import keys
from tests.integration.conftest import advance, start_translation
from tests.support import create_request

S = JobStatus


@dataclass
class Queue:
    url: str

    def receive_all(self) -> list[dict[str, Any]]:
        """Every message now in the queue, parsed and deleted, in the order they arrive."""
        sqs = boto3.client("sqs")
        bodies: list[dict[str, Any]] = []
        while True:
            response = sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10)
            messages = response.get("Messages", [])
            if not messages:
                return bodies
            bodies += [json.loads(message["Body"]) for message in messages]
            done = [
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)
            ]
            sqs.delete_message_batch(QueueUrl=self.url, Entries=done)


def new_queue(prefix: str) -> Queue:
    url = boto3.client("sqs").create_queue(QueueName=f"{prefix}-{uuid.uuid4().hex[:8]}")
    return Queue(url["QueueUrl"])


def route_bus_to_queue(bus: str) -> Queue:
    """A rule on `bus` that sends every jobstate event to a new queue."""
    events, sqs = boto3.client("events"), boto3.client("sqs")
    queue = new_queue("events")
    arn = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["QueueArn"])
    events.put_rule(
        Name="all-job-events",
        EventBusName=bus,
        EventPattern=json.dumps({"source": [EVENT_SOURCE]}),
    )
    events.put_targets(
        Rule="all-job-events",
        EventBusName=bus,
        Targets=[{"Id": "queue", "Arn": arn["Attributes"]["QueueArn"]}],
    )
    return queue


@pytest.fixture
def bus_queue(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Queue:
    """A fresh bus, named by EVENT_BUS_NAME, whose every jobstate event lands in a queue."""
    name = f"jobstate-{uuid.uuid4().hex[:8]}"
    boto3.client("events").create_event_bus(Name=name)
    monkeypatch.setenv("EVENT_BUS_NAME", name)
    return route_bus_to_queue(name)


@pytest.fixture
def dead_letter_queue(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Queue:
    queue = new_queue("dead-letters")
    monkeypatch.setenv("JOBSTATE_DEAD_LETTER_QUEUE_URL", queue.url)
    return queue


def complete_chunk(manager: JobStateManager, job_id: str, index: int, **figures: Any) -> None:
    update = ChunkStatusUpdate(status=ChunkStatus.COMPLETED, **figures)
    manager.update_chunk_status(job_id, keys.chunk_id(job_id, index), index, update)


def run_job(manager: JobStateManager, chunks: int, **request: Any) -> str:
    """A whole happy run: created, chunked, every chunk completed, assembled and completed."""
    job_id = manager.create_job(create_request(**request)).job_id
    start_translation(manager, job_id, chunks)
    for index in range(chunks):
        complete_chunk(manager, job_id, index, processing_time=1000 + index, cost=0.01)
    advance(manager, job_id, [(S.ASSEMBLING, S.FINALIZING), (S.FINALIZING, S.COMPLETED)])
    return job_id
