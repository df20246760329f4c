"""`jobstate serve` runs the stream poller: a job created over HTTP appears on the bus."""

from __future__ import annotations

import json
import secrets
import time
import urllib.request
from typing import Any

import pytest

from jobstate.config import Settings
from jobstate.local.auth import issue_token
from jobstate.local.service import LocalService, default_plugins
from jobstate.local.stream_poller import StreamPoller
from jobstate.models import utc_now
from tests.integration.events.conftest import Queue


def test_serve_runs_the_stream_poller_as_a_background_service(
    table_name: str, bus_queue: Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert any(isinstance(s, StreamPoller) for s in default_plugins(Settings.from_env()).background)
    secret = secrets.token_urlsafe(16)
    monkeypatch.setenv("JOBSTATE_LOCAL_SECRET", secret)
    local = LocalService(port=0, access_log=None).start()
    try:
        body = {
            "documentId": "doc-1",
            "filename": "a.docx",
            "targetLanguage": "es",
            "documentMetadata": {"wordCount": 900, "fileSize": 10, "contentHash": "sha256:abc"},
        }
        token = issue_token("user-9", secret.encode(), operator=False, now=utc_now())
        request = urllib.request.Request(
            f"{local.url}/jobs",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            job_id = json.loads(reply.read())["jobId"]
        received: list[dict[str, Any]] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not received:
            details = [m["detail"] for m in bus_queue.receive_all()]
            # Other plug-ins (the workflow runner) may move the job on; creation comes first.
            received += [d for d in details if d["eventType"] == "JOB_CREATED"]
            time.sleep(0.05)
    finally:
        local.stop()
    [created] = received
    assert (created["eventType"], created["jobId"], created["userId"]) == (
        "JOB_CREATED",
        job_id,
        "user-9",
    )
