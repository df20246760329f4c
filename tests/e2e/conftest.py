"""`jobstate serve` started as a child process on a free port, with its embedded moto, for tests
that talk to it over HTTP like any client would."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobstate.local.auth import issue_token
from jobstate.models import utc_now

STARTUP_TIMEOUT_SECONDS = 30


@dataclass
class LocalApi:
    url: str
    secret: bytes
    env: dict[str, str]
    process: subprocess.Popen[str]
    output: Path

    def token(self, user: str, *, operator: bool = False) -> str:
        return issue_token(user, self.secret, operator=operator, now=utc_now())

    def auth(self, user: str, *, operator: bool = False) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user, operator=operator)}"}


def serve_env(folder: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "MOTO_PORT", "JOBS_TABLE")
        and not k.startswith("JOBSTATE_")
    }
    env["JOBSTATE_LOCAL_SECRET"] = secrets.token_urlsafe(24)
    env["JOBSTATE_LOCAL_DIR"] = str(folder / ".jobstate")
    env["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    return env


def start_serve(folder: Path, *options: str) -> LocalApi:
    env = serve_env(folder)
    # Output goes to a file: a pipe nobody drains would stall the server once full.
    output = folder / "serve.log"
    with output.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "jobstate.cli", "serve", "--port", "0", *options],
            cwd=folder,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        first = output.read_text().split("\n", 1)[0]
        if first.startswith("jobstate API on http://"):  # "... on http://127.0.0.1:PORT (...)"
            url = first.split(" on ", 1)[1].split()[0]
            return LocalApi(url, env["JOBSTATE_LOCAL_SECRET"].encode(), env, process, output)
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"jobstate serve did not start: {output.read_text()[-2000:]}")


def stop_serve(api: LocalApi) -> tuple[int, str]:
    api.process.send_signal(signal.SIGINT)
    api.process.wait(timeout=STARTUP_TIMEOUT_SECONDS)
    return api.process.returncode, api.output.read_text()


@pytest.fixture(scope="session")
def local_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    """The whole service, workflow runner included: jobs move while the tests look at them."""
    api = start_serve(tmp_path_factory.mktemp("serve"))
    yield api
    stop_serve(api)


@pytest.fixture(scope="session")
def api_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    """The API alone (`--api-only`): generated documents of millions of words stay unprocessed."""
    api = start_serve(tmp_path_factory.mktemp("serve-api"), "--api-only")
    yield api
    stop_serve(api)
