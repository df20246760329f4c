"""What differs between dev, staging and prod: retention, protection, limits, alarm thresholds."""

from __future__ import annotations

from typing import Literal

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from pydantic import BaseModel, ConfigDict, Field

EnvironmentName = Literal["dev", "staging", "prod"]
ENVIRONMENT_CONTEXT_KEY = "env"


class EnvironmentConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: EnvironmentName
    protect_data: bool
    log_retention_days: int = Field(ge=1)
    event_archive_days: int = Field(ge=1)
    log_level: str
    api_throttle_rate_per_second: float = Field(gt=0)
    api_throttle_burst: int = Field(gt=0)
    # The design gives the API function 50 reserved executions; a fresh account has only a
    # small unreserved pool, so dev leaves it unreserved rather than fail the deploy.
    api_reserved_concurrency: int | None = Field(default=None, ge=1)
    # Cognito's Plus tier (threat protection, compromised-credential checks) is billed per
    # active user; dev holds only test accounts.
    cognito_plus_tier: bool
    translation_max_concurrency: int = Field(ge=1)
    sweep_every_minutes: int = Field(ge=1)
    job_failure_rate_percent: float = Field(gt=0, le=100)
    api_5xx_per_5_minutes: int = Field(ge=1)

    @property
    def removal_policy(self) -> RemovalPolicy:
        return RemovalPolicy.RETAIN if self.protect_data else RemovalPolicy.DESTROY

    @property
    def log_retention(self) -> logs.RetentionDays:
        return RETENTION_BY_DAYS[self.log_retention_days]


RETENTION_BY_DAYS = {
    7: logs.RetentionDays.ONE_WEEK,
    30: logs.RetentionDays.ONE_MONTH,
    365: logs.RetentionDays.ONE_YEAR,
}

ENVIRONMENTS: dict[str, EnvironmentConfig] = {
    "dev": EnvironmentConfig(
        name="dev",
        protect_data=False,
        log_retention_days=7,
        event_archive_days=7,
        log_level="DEBUG",
        api_throttle_rate_per_second=20,
        api_throttle_burst=40,
        cognito_plus_tier=False,
        translation_max_concurrency=5,
        sweep_every_minutes=5,
        job_failure_rate_percent=50,
        api_5xx_per_5_minutes=20,
    ),
    "staging": EnvironmentConfig(
        name="staging",
        protect_data=True,
        log_retention_days=30,
        event_archive_days=30,
        log_level="INFO",
        api_throttle_rate_per_second=50,
        api_throttle_burst=100,
        api_reserved_concurrency=50,
        cognito_plus_tier=True,
        translation_max_concurrency=10,
        sweep_every_minutes=5,
        job_failure_rate_percent=20,
        api_5xx_per_5_minutes=10,
    ),
    "prod": EnvironmentConfig(
        name="prod",
        protect_data=True,
        log_retention_days=365,
        event_archive_days=365,
        log_level="INFO",
        api_throttle_rate_per_second=200,
        api_throttle_burst=400,
        api_reserved_concurrency=50,
        cognito_plus_tier=True,
        translation_max_concurrency=10,
        sweep_every_minutes=2,
        job_failure_rate_percent=10,
        api_5xx_per_5_minutes=5,
    ),
}


def environment_named(name: object) -> EnvironmentConfig:
    """The configuration for a context value, refusing anything but the three environments."""
    if name not in ENVIRONMENTS:
        allowed = ", ".join(ENVIRONMENTS)
        raise ValueError(f"context {ENVIRONMENT_CONTEXT_KEY}={name!r} is not one of {allowed}")
    return ENVIRONMENTS[str(name)]
