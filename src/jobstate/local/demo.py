"""`jobstate demo`: start the local service, submit a sample job as a new user, and follow it.

The demo polls progress as the frontend would: it sends the last ETag in If-None-Match and waits
the Retry-After the service asks for. Time is compressed by JOBSTATE_TIME_SCALE (0.05 unless
set), waits included, so the whole lifecycle plays out in seconds.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, TextIO

from jobstate.models import utc_now

DEMO_DEFAULTS = {
    "JOBSTATE_TIME_SCALE": "0.05",
    "JOBSTATE_LOCAL_LATENCY_MS": "120",
    "JOBSTATE_LOCAL_FAILURES": "RATE_LIMITED=0.02,SERVICE_UNAVAILABLE=0.08",
    "JOBSTATE_MAX_CONCURRENCY": "4",
    # The service runs in this process: its metrics and routine logs would break up the bar.
    "POWERTOOLS_METRICS_DISABLED": "true",
}
SAMPLE_WORDS = 36_000  # 24 chunks
SETTLED = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
BAR_WIDTH = 30
DEMO_TIMEOUT_SECONDS = 300.0


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: dict[str, Any] | None


class DemoClient:
    """A small HTTP client of the local API with a bearer token."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                status, reply_headers = response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            raw, status, reply_headers = error.read(), error.code, dict(error.headers)
        parsed = json.loads(raw) if raw else None
        return Reply(status, reply_headers, parsed)


def sample_job(user_id: str) -> dict[str, Any]:
    return {
        "userId": user_id,
        "documentId": f"demo-doc-{secrets.token_hex(3)}",
        "filename": "the-long-novel.docx",
        "targetLanguage": "es",
        "documentMetadata": {
            "wordCount": SAMPLE_WORDS,
            "fileSize": 220_000,
            "contentHash": f"sha256:{secrets.token_hex(16)}",
        },
        "translationOptions": {"qualityLevel": "STANDARD"},
        "priority": "NORMAL",
    }


def _bar(progress: dict[str, Any]) -> str:
    percent = float(progress["overallProgress"])
    filled = round(BAR_WIDTH * percent / 100)
    eta = progress.get("estimatedTimeRemaining")
    eta_text = f"ETA {eta:.0f}s" if isinstance(eta, int | float) else "ETA --"
    chunks = f"{progress['chunksCompleted']}/{progress['totalChunks']} chunks"
    extra = ""
    if progress.get("queuePosition"):
        extra = f" (queue position {progress['queuePosition']})"
    if progress.get("rateLimitedUntil"):
        extra = f" (resumes {progress['rateLimitedUntil']})"
    stage = progress["currentStage"]
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    return f"[{bar}] {percent:5.1f}% {stage:<34}{extra} {chunks} {eta_text}"


def follow(client: DemoClient, job_id: str, out: TextIO, time_scale: float) -> dict[str, Any]:
    """Poll progress until the job settles (or waits for review); returns the last progress."""
    etag: str | None = None
    last: dict[str, Any] | None = None
    polls = not_modified = 0
    deadline = time.monotonic() + DEMO_TIMEOUT_SECONDS
    interactive = out.isatty()
    while time.monotonic() < deadline:
        reply = client.call(
            "GET", f"/jobs/{job_id}/progress", headers={"If-None-Match": etag} if etag else None
        )
        polls += 1
        if reply.status == 304:
            not_modified += 1
        elif reply.status == 200 and reply.body is not None:
            etag = reply.headers.get("ETag", etag)
            if reply.body != last:
                line = _bar(reply.body)
                out.write(f"\r{line}" if interactive else f"{line}\n")
                out.flush()
            last = reply.body
        else:
            raise RuntimeError(f"progress poll answered {reply.status}: {reply.body}")
        assert last is not None
        if last["status"] in SETTLED or (last["status"] == "PAUSED" and last["requiresReview"]):
            break
        retry_after = float(reply.headers.get("Retry-After", "2"))
        time.sleep(retry_after * time_scale)
    if interactive:
        out.write("\n")
    out.write(f"{polls} polls, {not_modified} answered 304 Not Modified\n")
    assert last is not None
    return last


def report(client: DemoClient, job_id: str, out: TextIO) -> None:
    details = client.call("GET", f"/jobs/{job_id}").body or {}
    history = (client.call("GET", f"/jobs/{job_id}/history").body or {}).get("history", [])
    progress = client.call("GET", f"/jobs/{job_id}/progress").body or {}
    counts = progress.get("chunkCounts", {})
    costs = details.get("costs", {})
    out.write(f"\nfinal state: {details.get('status')}\n")
    out.write(
        "chunks: "
        + ", ".join(f"{name} {value}" for name, value in counts.items() if value)
        + f" (of {progress.get('totalChunks')})\n"
    )
    out.write(f"cost: estimated {costs.get('estimated')}, actual {costs.get('actual')}\n")
    out.write("history:\n")
    for entry in history:
        source = entry.get("from") or "-"
        out.write(f"  {entry['at']}  {source:>12} -> {entry['to']:<12} {entry['reason']}\n")


def run_demo(out: TextIO = sys.stdout) -> int:
    for name, value in DEMO_DEFAULTS.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("JOBS_TABLE", f"jobstate-demo-{secrets.token_hex(3)}")
    from jobstate.local.auth import issue_token, local_secret
    from jobstate.local.service import LocalService
    from jobstate.observability import logger
    from jobstate.workflow.settings import WorkflowSettings

    logger.setLevel(os.environ.get("JOBSTATE_DEMO_LOG_LEVEL", "ERROR"))

    time_scale = WorkflowSettings.from_env().time_scale
    service = LocalService(port=0, access_log=None).start()
    try:
        user_id = f"demo-user-{secrets.token_hex(3)}"
        client = DemoClient(service.url, issue_token(user_id, local_secret(), now=utc_now()))
        created = client.call(
            "POST", "/jobs", sample_job(user_id), {"Idempotency-Key": secrets.token_hex(8)}
        )
        if created.status != 201 or created.body is None:
            out.write(f"could not create the job: {created.status} {created.body}\n")
            return 1
        job_id = created.body["jobId"]
        out.write(
            f"service on {service.url}; job {job_id} for {user_id}: "
            f"{created.body['chunkCount']} chunks, estimated cost {created.body['estimatedCost']}"
            f"\n(time scale {time_scale}; failures {os.environ['JOBSTATE_LOCAL_FAILURES']})\n"
        )
        last = follow(client, job_id, out, time_scale)
        report(client, job_id, out)
        return 0 if last["status"] == "COMPLETED" else 1
    finally:
        service.stop()
