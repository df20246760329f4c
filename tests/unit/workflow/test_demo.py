"""The demo polls like the frontend: it sends the last ETag and waits the Retry-After."""

from __future__ import annotations

import io
from typing import Any

import pytest

from jobstate.local import demo
from jobstate.local.demo import DemoClient, Reply, follow


def _progress(status: str, percent: float, version: int) -> dict[str, Any]:
    return {
        "status": status,
        "overallProgress": percent,
        "chunksCompleted": 0,
        "totalChunks": 4,
        "currentStage": status.title(),
        "estimatedTimeRemaining": 10.0,
        "requiresReview": False,
        "version": version,
    }


class ScriptedClient(DemoClient):
    def __init__(self, replies: list[Reply]) -> None:
        super().__init__("http://unused", "token")
        self.replies = replies
        self.sent: list[dict[str, str] | None] = []

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        self.sent.append(headers)
        return self.replies.pop(0)


def test_follow_honours_etags_and_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(demo.time, "sleep", waits.append)
    client = ScriptedClient(
        [
            Reply(200, {"ETag": '"p-1"', "Retry-After": "10"}, _progress("TRANSLATING", 40, 1)),
            Reply(304, {"ETag": '"p-1"', "Retry-After": "4"}, None),
            Reply(200, {"ETag": '"p-2"', "Retry-After": "300"}, _progress("COMPLETED", 100, 2)),
        ]
    )
    out = io.StringIO()

    last = follow(client, "JOB_1", out, time_scale=0.5)

    assert last["status"] == "COMPLETED"
    assert client.sent == [None, {"If-None-Match": '"p-1"'}, {"If-None-Match": '"p-1"'}]
    assert waits == [5.0, 2.0]  # Retry-After, scaled like every other wait of the demo
    assert "3 polls, 1 answered 304 Not Modified" in out.getvalue()
    assert "100.0%" in out.getvalue()
