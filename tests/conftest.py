"""Fixtures shared by every test layer: moto's server on 127.0.0.1 and a fresh table per test."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import boto3
import pytest

from jobstate.store.client import create_table

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_REGION", "us-east-1")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "TranslationService/Jobs")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


class MotoProcess:
    """moto's server in a child process, so it does not share the GIL with test threads."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jobstate.local.moto_server"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        self.port = int(self.url.rsplit(":", 1)[1])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoProcess]:
    server = MotoProcess()
    previous = os.environ.get("AWS_ENDPOINT_URL")
    # The code under test finds the emulator the way it would find any endpoint: from the
    # standard AWS variable.
    os.environ["AWS_ENDPOINT_URL"] = server.url
    os.environ["MOTO_PORT"] = str(server.port)
    yield server
    if previous is None:
        os.environ.pop("AWS_ENDPOINT_URL", None)
    else:
        os.environ["AWS_ENDPOINT_URL"] = previous
    server.stop()


@pytest.fixture
def table_name(moto_server: MotoProcess, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"jobs-{uuid.uuid4().hex[:10]}"
    create_table(boto3.client("dynamodb"), name)
    monkeypatch.setenv("JOBS_TABLE", name)
    return name
