"""`jobstate serve` over HTTP: the README's first session, the local authorizer, access rules,
concurrent clients and a clean stop."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from jobstate.local.auth import issue_token
from jobstate.models import utc_now
from tests.e2e.conftest import LocalApi, start_serve, stop_serve

TIMEOUT = 30
POLL_ATTEMPTS = 50
DOCUMENT: dict[str, Any] = {
    "documentId": "doc-1",
    "filename": "novel.docx",
    "targetLanguage": "es",
    "documentMetadata": {"wordCount": 1200, "fileSize": 6400, "contentHash": "sha256:abc123"},
}


def _create(api: LocalApi, user: str, **overrides: Any) -> str:
    reply = requests.post(
        f"{api.url}/jobs", json={**DOCUMENT, **overrides}, headers=api.auth(user), timeout=TIMEOUT
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["jobId"])


def test_first_session_token_create_poll(local_api: LocalApi) -> None:
    token = subprocess.run(
        [sys.executable, "-m", "jobstate.cli", "token", "reader-1"],
        env=local_api.env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    auth = {"Authorization": f"Bearer {token}"}

    created = requests.post(f"{local_api.url}/jobs", json=DOCUMENT, headers=auth, timeout=TIMEOUT)
    assert created.status_code == 201, created.text
    job_id = created.json()["jobId"]
    assert created.headers["Location"] == f"/jobs/{job_id}"
    assert created.json()["chunkCount"] == 1

    # The workflow runner moves the job meanwhile: a poll is 304 exactly when nothing changed.
    for _ in range(POLL_ATTEMPTS):
        progress = requests.get(
            f"{local_api.url}/jobs/{job_id}/progress", headers=auth, timeout=TIMEOUT
        )
        assert progress.status_code == 200
        assert progress.headers["Cache-Control"].startswith("private")
        etag = progress.headers["ETag"]
        assert etag == f'"progress-{progress.json()["version"]}"'
        again = requests.get(
            f"{local_api.url}/jobs/{job_id}/progress",
            headers={**auth, "If-None-Match": etag},
            timeout=TIMEOUT,
        )
        if again.status_code == 304:
            assert again.content == b""
            return
        assert again.status_code == 200
        assert again.headers["ETag"] != etag
    raise AssertionError("the job never held still for two polls")


def test_the_local_authorizer_refuses_bad_tokens(local_api: LocalApi) -> None:
    url = f"{local_api.url}/jobs/user/alice"
    forged = issue_token("alice", b"not the server's secret", now=utc_now())
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": f"Bearer {forged}"}):
        reply = requests.get(url, headers=headers, timeout=TIMEOUT)
        assert reply.status_code == 401
        assert reply.json()["error"]["code"] == "UNAUTHORIZED"
    assert requests.get(url, headers=local_api.auth("alice"), timeout=TIMEOUT).status_code == 200


def test_another_users_job_is_404_on_every_route(local_api: LocalApi) -> None:
    job_id = _create(local_api, "owner-2")
    mallory = local_api.auth("mallory")
    for method, suffix in [
        ("GET", ""),
        ("GET", "/chunks"),
        ("GET", "/progress"),
        ("GET", "/history"),
        ("POST", "/pause"),
        ("POST", "/resume"),
        ("POST", "/cancel"),
        ("POST", "/retry"),
    ]:
        reply = requests.request(
            method, f"{local_api.url}/jobs/{job_id}{suffix}", headers=mallory, timeout=TIMEOUT
        )
        assert reply.status_code == 404, (method, suffix, reply.text)
        assert reply.json()["error"]["code"] == "JOB_NOT_FOUND"


def test_cursors_over_http_page_and_refuse_tampering(local_api: LocalApi) -> None:
    created = [_create(local_api, "pager", documentId=f"doc-{i}") for i in range(3)]
    auth = local_api.auth("pager")
    url = f"{local_api.url}/jobs/user/pager"

    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        body = requests.get(url, params=params, headers=auth, timeout=TIMEOUT).json()
        seen += [job["jobId"] for job in body["jobs"]]
        if not body["nextCursor"]:
            break
        params["cursor"] = body["nextCursor"]
    assert seen == list(reversed(created))

    first = requests.get(url, params={"limit": 1}, headers=auth, timeout=TIMEOUT).json()
    cursor = first["nextCursor"]
    for bad in (cursor[:-4], cursor.replace(".", ".x", 1)):
        reply = requests.get(url, params={"limit": 1, "cursor": bad}, headers=auth, timeout=TIMEOUT)
        assert reply.status_code == 400
    borrowed = requests.get(
        url,
        params={"limit": 1, "cursor": cursor},
        headers=local_api.auth("ops", operator=True),
        timeout=TIMEOUT,
    )
    assert borrowed.status_code == 400


def test_concurrent_clients(api_only: LocalApi) -> None:
    def session(n: int) -> list[int]:
        user = f"parallel-{n}"
        auth = api_only.auth(user)
        job_id = _create(api_only, user)
        statuses = [201]
        for _ in range(3):
            reply = requests.get(
                f"{api_only.url}/jobs/{job_id}/progress", headers=auth, timeout=TIMEOUT
            )
            statuses.append(reply.status_code)
        # Each request is answered as its own caller, never as a neighbour's.
        details = requests.get(f"{api_only.url}/jobs/{job_id}", headers=auth, timeout=TIMEOUT)
        assert details.json()["userId"] == user
        return statuses

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(session, range(8)))
    assert results == [[201, 200, 200, 200]] * 8


def test_serve_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    api = start_serve(tmp_path)
    reply = requests.get(f"{api.url}/jobs/user/u", headers=api.auth("u"), timeout=TIMEOUT)
    assert reply.status_code == 200

    code, output = stop_serve(api)

    assert code == 0
    assert '"GET /jobs/user/u" 200' in output  # one line per request
    assert output.rstrip().endswith("stopped")
    assert "Traceback" not in output
