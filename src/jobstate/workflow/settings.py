"""Workflow settings read from the environment: concurrency, queue size, ports and time scale."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, Field, field_validator

from jobstate.lifecycle.recovery import KNOWN_ERROR_CODES


def parse_failure_mix(text: str) -> dict[str, float]:
    """`RATE_LIMITED=0.05,SERVICE_UNAVAILABLE=0.05` as {code: chance per attempt}."""
    mix: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        code, sep, value = part.partition("=")
        code = code.strip().upper()
        if not sep or code not in KNOWN_ERROR_CODES:
            known = ", ".join(sorted(KNOWN_ERROR_CODES))
            raise ValueError(f"'{part}' is not CODE=chance with CODE one of {known}")
        chance = float(value)
        if not 0.0 <= chance <= 1.0:
            raise ValueError(f"chance for {code} must be between 0 and 1")
        mix[code] = chance
    if sum(mix.values()) > 1.0:
        raise ValueError("failure chances add up to more than 1")
    return mix


class WorkflowSettings(BaseModel):
    max_concurrency: int = Field(default=10, ge=1, le=1000)
    max_active_jobs: int = Field(default=5, ge=1)
    time_scale: float = Field(default=1.0, ge=0.0, le=1000.0)
    translator: str = Field(default="local", min_length=1)
    local_latency_ms: int = Field(default=1000, ge=0, le=600_000)
    local_failures: dict[str, float] = Field(default_factory=dict)
    sweep_interval_seconds: float = Field(default=60.0, gt=0)
    state_machine_arn: str | None = None

    @field_validator("local_failures", mode="before")
    @classmethod
    def _parse_mix(cls, value: object) -> object:
        return parse_failure_mix(value) if isinstance(value, str) else value

    def scaled(self, seconds: float) -> float:
        """A recovery wait as it is actually taken: real seconds times JOBSTATE_TIME_SCALE."""
        return max(seconds, 0.0) * self.time_scale

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkflowSettings:
        source = os.environ if env is None else env
        names = {
            "max_concurrency": "JOBSTATE_MAX_CONCURRENCY",
            "max_active_jobs": "JOBSTATE_MAX_ACTIVE_JOBS",
            "time_scale": "JOBSTATE_TIME_SCALE",
            "translator": "JOBSTATE_TRANSLATOR",
            "local_latency_ms": "JOBSTATE_LOCAL_LATENCY_MS",
            "local_failures": "JOBSTATE_LOCAL_FAILURES",
            "sweep_interval_seconds": "JOBSTATE_SWEEP_INTERVAL_SECONDS",
            "state_machine_arn": "JOBSTATE_STATE_MACHINE_ARN",
        }
        values = {k: source[v] for k, v in names.items() if source.get(v)}
        return cls.model_validate(values)
