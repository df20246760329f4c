"""Settings read from the environment, with the defaults that let jobstate run anywhere.

Endpoints are not settings of jobstate: boto3 reads the standard AWS variables itself
(`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL`, `AWS_REGION`), so the same code runs against
AWS, moto or another emulator unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, Field

from jobstate.store.schema import DEFAULT_TABLE_NAME


class Settings(BaseModel):
    table_name: str = Field(default=DEFAULT_TABLE_NAME, min_length=3, max_length=255)
    region: str = "us-east-1"
    failure_threshold: float = Field(default=0.10, ge=0.0, le=1.0)
    max_active_jobs_per_user: int = Field(default=10, ge=1)
    max_chunk_attempts: int = Field(default=3, ge=1)
    max_job_retries: int = Field(default=3, ge=0)
    history_retention_days: int | None = Field(default=None, ge=1)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        source = os.environ if env is None else env
        names = {
            "table_name": "JOBS_TABLE",
            "failure_threshold": "JOBSTATE_FAILURE_THRESHOLD",
            "max_active_jobs_per_user": "JOBSTATE_MAX_ACTIVE_JOBS_PER_USER",
            "max_chunk_attempts": "JOBSTATE_MAX_CHUNK_ATTEMPTS",
            "max_job_retries": "JOBSTATE_MAX_JOB_RETRIES",
            "history_retention_days": "JOBSTATE_RETENTION_DAYS",
        }
        values: dict[str, str] = {k: source[v] for k, v in names.items() if source.get(v)}
        region = source.get("AWS_REGION") or source.get("AWS_DEFAULT_REGION")
        if region:
            values["region"] = region
        return cls.model_validate(values)
