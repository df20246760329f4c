"""One construct for every jobstate Lambda: its own role and log group, Powertools, tracing."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.environments import EnvironmentConfig
from infra.nag import acknowledge
from jobstate import metric_names

LAMBDA_RUNTIME = lambda_.Runtime.PYTHON_3_14
LAMBDA_ARCHITECTURE = lambda_.Architecture.ARM_64
LAMBDA_PIP_PLATFORM = "manylinux2014_aarch64"
SERVICE_NAME = "jobstate"


def runtime_python_version(runtime: lambda_.Runtime = LAMBDA_RUNTIME) -> str:
    """`python3.14` -> `3.14`, the version pip must resolve wheels for."""
    return runtime.name.removeprefix("python")


@dataclass(frozen=True)
class FunctionSpec:
    construct_id: str
    handler: str
    description: str
    memory_mb: int = 256
    timeout_seconds: int = 30
    reserved_concurrency: int | None = None
    reads_table_stream: bool = False
    environment: Mapping[str, str] = field(default_factory=dict)


def handler_is_present(handler: str) -> bool:
    """True when `package.module.function` names a callable that exists in this tree."""
    module_name, _, attribute = handler.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            return False
        raise
    return callable(getattr(module, attribute, None))


class JobstateFunction(Construct):
    """A Lambda with nothing granted but writing its own logs and traces."""

    def __init__(
        self,
        scope: Construct,
        spec: FunctionSpec,
        *,
        code: lambda_.Code,
        config: EnvironmentConfig,
    ) -> None:
        super().__init__(scope, spec.construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=config.log_retention,
            removal_policy=config.removal_policy,
        )
        # A role of its own instead of the managed basic-execution policy, whose log permissions
        # reach every log group in the account.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"jobstate {spec.construct_id} function ({config.name})",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                # The group's ARN already ends in `:*`, which covers its streams.
                resources=[self.log_group.log_group_arn],
            )
        )
        environment = {
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": metric_names.NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": config.log_level,
            "JOBSTATE_ENVIRONMENT": config.name,
            **spec.environment,
        }
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=LAMBDA_RUNTIME,
            architecture=LAMBDA_ARCHITECTURE,
            handler=spec.handler,
            code=code,
            description=spec.description,
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_seconds),
            reserved_concurrent_executions=spec.reserved_concurrency,
            tracing=lambda_.Tracing.ACTIVE,
            role=self.role,
            log_group=self.log_group,
            environment=environment,
        )
        reasons = [
            "X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level "
            "permissions, so active tracing can only be granted on '*'."
        ]
        if spec.reads_table_stream:
            reasons.append(
                "dynamodb:ListStreams supports no resource-level permissions either; the "
                "stream reads themselves are confined to the jobs table's stream ARN."
            )
        acknowledge(self.role, id="AwsSolutions-IAM5[Resource::*]", reason=" ".join(reasons))
