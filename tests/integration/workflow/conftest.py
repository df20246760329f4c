"""Workflow fixtures against moto: a fast local runner with a counted translator."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from jobstate import JobStateManager, TranslationJobService
from jobstate.config import Settings
from jobstate.workflow.local_ports import FailureScript, LocalTranslator, local_ports
from jobstate.workflow.local_runner import LocalExecution, LocalRunner
from jobstate.workflow.pipeline import TASK_HANDLERS, build_state_machine_definition
from jobstate.workflow.settings import WorkflowSettings
from jobstate.workflow.tasks import WorkflowTasks
from tests.support import create_request

# 12,000 words per 8 chunks; a threshold of 0.25 lets 2 of 8 chunks fail.
WORDS_PER_TEST_CHUNK = 1500


@dataclass
class Pipeline:
    runner: LocalRunner
    tasks: WorkflowTasks
    translator: LocalTranslator
    service: TranslationJobService
    manager: JobStateManager

    def create(self, chunks: int = 8, job_id: str | None = None, **overrides: object) -> str:
        request = create_request(
            documentMetadata={
                "wordCount": chunks * WORDS_PER_TEST_CHUNK,
                "fileSize": 64000,
                "contentHash": "sha256:abc123",
            },
            **overrides,
        )
        return self.service.create_job(request, job_id=job_id).job_id


PipelineFactory = Callable[..., Pipeline]


@pytest.fixture
def make_pipeline(table_name: str) -> Iterator[PipelineFactory]:
    runners: list[LocalRunner] = []

    def build(
        *,
        script: FailureScript | None = None,
        failures: str = "",
        threshold: float = 0.25,
        max_active_jobs: int = 5,
        sweep: bool = False,
        max_chunk_attempts: int = 3,
        max_job_retries: int = 3,
    ) -> Pipeline:
        store_settings = Settings(
            table_name=table_name,
            failure_threshold=threshold,
            max_chunk_attempts=max_chunk_attempts,
            max_job_retries=max_job_retries,
        )
        manager = JobStateManager(settings=store_settings)
        settings = WorkflowSettings(
            time_scale=0.001,
            max_concurrency=3,
            max_active_jobs=max_active_jobs,
            local_latency_ms=0,
            local_failures=failures,
            sweep_interval_seconds=100,
        )
        ports = local_ports(settings, script=script)
        tasks = WorkflowTasks(manager=manager, settings=settings, ports=ports)
        runner = LocalRunner(tasks=tasks, sweep=sweep).start()
        runners.append(runner)
        assert isinstance(ports.translator, LocalTranslator)
        return Pipeline(
            runner, tasks, ports.translator, TranslationJobService(manager=manager), manager
        )

    yield build
    for runner in runners:
        runner.stop()


# ----------------------------------------------------------------- Step Functions in moto

ACCOUNT = "123456789012"
ENTERED_EVENTS = frozenset(
    {
        "TaskStateEntered",
        "MapStateEntered",
        "WaitStateEntered",
        "SucceedStateEntered",
        "FailStateEntered",
    }
)


def _post(url: str, body: dict[str, object]) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201)


@dataclass
class StepFunctionsReplay:
    """The deployed definition run by moto's interpreter, its Lambda tasks answered with canned
    results: the results a local execution recorded, so both can be compared step by step."""

    client: Any
    state_machine_arn: str
    moto_url: str

    def queue_results(self, results: list[dict[str, Any]]) -> None:
        canned = [
            json.dumps({**r, "waitWholeSeconds": 0} if "waitWholeSeconds" in r else r)
            for r in results
        ]
        _post(f"{self.moto_url}/moto-api/static/lambda-simple/response", {"results": canned})

    def wait(self, execution_arn: str) -> dict[str, Any]:
        deadline = time.monotonic() + 60
        while True:
            described: dict[str, Any] = self.client.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                return described
            assert time.monotonic() < deadline, "state machine did not finish"
            time.sleep(0.05)

    def run(self, results: list[dict[str, Any]], job_id: str) -> tuple[str, list[str]]:
        self.queue_results(results)
        arn = self.client.start_execution(
            stateMachineArn=self.state_machine_arn,
            name=f"replay-{uuid.uuid4().hex[:12]}",
            input=json.dumps({"jobId": job_id}),
        )["executionArn"]
        status = self.wait(arn)["status"]
        events: list[dict[str, Any]] = []
        for page in self.client.get_paginator("get_execution_history").paginate(executionArn=arn):
            events += page["events"]
        path = [
            e["stateEnteredEventDetails"]["name"] for e in events if e["type"] in ENTERED_EVENTS
        ]
        return str(status), path

    def replay(self, execution: LocalExecution) -> tuple[str, list[str]]:
        return self.run([result for _, result in execution.results], execution.job_id)


@pytest.fixture(scope="session")
def step_functions(moto_server: Any) -> StepFunctionsReplay:
    _post(
        f"{moto_server.url}/moto-api/config",
        {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}},
    )
    client = boto3.client("stepfunctions")
    arns = {
        name: f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:jobstate-{name}"
        for name in TASK_HANDLERS
    }
    definition = build_state_machine_definition(arns, max_concurrency=3)
    created = client.create_state_machine(
        name=f"jobstate-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/jobstate-workflow",
    )
    return StepFunctionsReplay(client, created["stateMachineArn"], moto_server.url)


def local_path(execution: LocalExecution) -> list[str]:
    return [str(state) for state in execution.path]
