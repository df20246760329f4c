"""Starting Step Functions executions of the pipeline (the sweeper restarts stalled jobs so)."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

import boto3
from botocore.exceptions import ClientError

from jobstate.config import Settings

_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
MAX_EXECUTION_NAME = 80


class StepFunctionsStarter:
    def __init__(self, state_machine_arn: str, *, client: Any | None = None) -> None:
        if not state_machine_arn:
            raise ValueError("JOBSTATE_STATE_MACHINE_ARN is not set")
        self.state_machine_arn = state_machine_arn
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client("stepfunctions", region_name=Settings.from_env().region)
        return self._client

    def start_execution(self, job_id: str, reason: str) -> str:
        """Start an execution whose input is the job id; the name says why it was started."""
        name = _NAME_UNSAFE.sub("-", f"{job_id}-{reason}-{secrets.token_hex(4)}")
        try:
            response = self.client.start_execution(
                stateMachineArn=self.state_machine_arn,
                name=name[:MAX_EXECUTION_NAME],
                input=json.dumps({"jobId": job_id}),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
                raise
            return name
        return str(response["executionArn"])
