"""The jobstate stack: table, functions, API, workflow, events and monitoring of one environment."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType
from typing import Any

from aws_cdk import Annotations, AssetHashType, CfnOutput, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.api import JobsApi, Route
from infra.bundling import LambdaPlatform, build_lambda_asset
from infra.environments import EnvironmentConfig
from infra.events import JobEvents
from infra.functions import (
    LAMBDA_PIP_PLATFORM,
    FunctionSpec,
    JobstateFunction,
    handler_is_present,
    runtime_python_version,
)
from infra.monitoring import JobMonitoring
from infra.nag import acknowledge
from infra.table import READ_ACTIONS, READ_WRITE_ACTIONS, JobsTable
from infra.workflow import JobWorkflow, substitution_key
from jobstate.events.models import DETAIL_TYPES, EVENT_SOURCE, JobEventType
from jobstate.lifecycle.states import JobStatus
from jobstate.store.schema import INDEXES, JOBS_BY_STATUS

API_MODULE = "jobstate.handlers.api"
API_HANDLER = f"{API_MODULE}.handler"
REPORT_MODULE = "jobstate.handlers.report"
REPORT_HANDLER = f"{REPORT_MODULE}.handler"
SWEEPER_HANDLER = "jobstate.handlers.sweeper.handler"
RELAY_HANDLER = "jobstate.handlers.stream_relay.handler"
PIPELINE_MODULE = "jobstate.workflow.pipeline"

TRANSLATOR_CONTEXT_KEY = "translator"
CURSOR_SECRET_ENV = "JOBSTATE_CURSOR_SECRET"
STATE_MACHINE_ENV = "JOBSTATE_STATE_MACHINE_ARN"
_CHANGED = DETAIL_TYPES[JobEventType.JOB_STATE_CHANGED]
# The events after which a job needs a (new) execution, in the stream relay's vocabulary.
WORKFLOW_STARTS = {
    "StartOnJobCreated": events.EventPattern(
        source=[EVENT_SOURCE], detail_type=[DETAIL_TYPES[JobEventType.JOB_CREATED]]
    ),
    "StartOnJobResumed": events.EventPattern(
        source=[EVENT_SOURCE],
        detail_type=[_CHANGED],
        detail={"fromState": [JobStatus.PAUSED.value], "toState": [JobStatus.RESUMING.value]},
    ),
    "StartOnJobRetried": events.EventPattern(
        source=[EVENT_SOURCE],
        detail_type=[_CHANGED],
        detail={"fromState": [JobStatus.FAILED.value], "toState": [JobStatus.RETRYING.value]},
    ),
}
ALL_INDEXES = tuple(index.name for index in INDEXES)
# Idempotency records of job creation are released with DeleteItem when a create fails.
API_ACTIONS = (*READ_WRITE_ACTIONS, "dynamodb:DeleteItem")


OPENAPI_LOCATIONS = {"path": "path", "query": "querystring", "header": "header"}


def resolver_routes(resolver: Any) -> tuple[Route, ...]:
    """The routes a Powertools resolver serves, read from its OpenAPI document."""
    routes = []
    for path, item in (resolver.get_openapi_schema().paths or {}).items():
        for method in ("get", "post", "put", "patch", "delete"):
            operation = getattr(item, method, None)
            if operation is None:
                continue
            body = operation.requestBody
            parameters = tuple(
                (OPENAPI_LOCATIONS[p.in_.value], p.name, bool(p.required))
                for p in operation.parameters or ()
                if p.in_.value in OPENAPI_LOCATIONS
            )
            routes.append(
                Route(
                    method.upper(),
                    path,
                    requires_body=bool(body is not None and body.required),
                    parameters=parameters,
                )
            )
    return tuple(routes)


def api_routes() -> tuple[Route, ...]:
    return resolver_routes(importlib.import_module(API_MODULE).app)


def report_routes() -> tuple[Route, ...]:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

    resolver = APIGatewayRestResolver(enable_validation=True)
    importlib.import_module(REPORT_MODULE).register_routes(resolver)
    return resolver_routes(resolver)


class JobStateStack(Stack):
    """Everything jobstate needs in one account and region, for one environment."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.missing: list[str] = []
        platform = LambdaPlatform(runtime_python_version(), LAMBDA_PIP_PLATFORM)
        asset = build_lambda_asset(platform)
        self.asset_path = asset.path
        self._code = lambda_.Code.from_asset(
            str(asset.path), asset_hash=asset.content_hash, asset_hash_type=AssetHashType.CUSTOM
        )
        self.functions: dict[str, lambda_.Function] = {}

        self.jobs = JobsTable(self, "Jobs", config=config)
        self.events = JobEvents(self, "Events", config=config)
        self._table_env = {"JOBS_TABLE": self.jobs.table.table_name}
        self.workflow = self._workflow()
        routes = self._api_functions()
        self.api = JobsApi(self, "Http", config=config, routes=routes)
        self._relay()
        self._sweeper()
        if self.workflow is not None:
            self._start_workflow_on_job_changes(self.workflow)

        self.monitoring = JobMonitoring(
            self,
            "Monitoring",
            config=config,
            api=self.api.api,
            functions=self.functions,
            state_machine=self.workflow.state_machine if self.workflow else None,
            relay_failures=self.events.relay_failures,
        )
        self._outputs()

    # ----------------------------------------------------------------------------- functions

    def _function(
        self,
        spec: FunctionSpec,
        *,
        actions: Iterable[str] = (),
        indexes: Iterable[str] = (),
    ) -> JobstateFunction | None:
        if not handler_is_present(spec.handler):
            self._missing(spec.handler)
            return None
        construct = JobstateFunction(self, spec, code=self._code, config=self.config)
        actions = tuple(actions)
        if actions:
            self.jobs.grant(construct.role, actions, indexes=indexes)
        self.functions[spec.construct_id] = construct.function
        return construct

    def _missing(self, name: str) -> None:
        self.missing.append(name)
        Annotations.of(self).add_warning_v2(
            "jobstate:missing-handler", f"{name} is not in the tree, so it is not deployed"
        )

    def _workflow_env(self) -> dict[str, str]:
        env = dict(self._table_env)
        if self.workflow is not None:
            env[STATE_MACHINE_ENV] = self.workflow.state_machine_arn
        return env

    def _api_functions(self) -> list[tuple[Route, lambda_.IFunction]]:
        """Report routes go to the report function (read-only, its own concurrency), even
        when the API's resolver registers them too; every other route to the API function."""
        routes: list[tuple[Route, lambda_.IFunction]] = []
        report = self._function(
            FunctionSpec(
                "Report",
                REPORT_HANDLER,
                "jobstate operator reports",
                memory_mb=1024,
                timeout_seconds=29,
                environment=dict(self._table_env),
            ),
            actions=READ_ACTIONS,
            indexes=(JOBS_BY_STATUS.name,),
        )
        if report is not None:
            routes += [(route, report.function) for route in report_routes()]
        reported = {(route.method, route.path) for route, _ in routes}
        api = self._function(
            FunctionSpec(
                "Api",
                API_HANDLER,
                "jobstate HTTP API",
                memory_mb=1024,
                timeout_seconds=29,
                reserved_concurrency=self.config.api_reserved_concurrency,
                environment={**self._table_env, CURSOR_SECRET_ENV: self._cursor_secret()},
            ),
            actions=API_ACTIONS,
            indexes=ALL_INDEXES,
        )
        if api is not None:
            routes += [
                (route, api.function)
                for route in api_routes()
                if (route.method, route.path) not in reported
            ]
        return routes

    def _relay(self) -> None:
        dead_letters = self.events.relay_dead_letters
        relay = self._function(
            FunctionSpec(
                "StreamRelay",
                RELAY_HANDLER,
                "Publishes committed job changes from the table's stream to EventBridge",
                memory_mb=512,
                timeout_seconds=60,
                reads_table_stream=True,
                environment={
                    **self._table_env,
                    "EVENT_BUS_NAME": self.events.bus.event_bus_name,
                    "JOBSTATE_DEAD_LETTER_QUEUE_URL": dead_letters.queue_url,
                },
            ),
            # The relay reads a job as of the change to put its progress on the event.
            actions=("dynamodb:GetItem",),
        )
        if relay is None:
            return
        self.events.attach_relay(relay.function, self.jobs.table)
        relay.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[dead_letters.queue_arn])
        )

    def _sweeper(self) -> None:
        sweeper = self._function(
            FunctionSpec(
                "Sweeper",
                SWEEPER_HANDLER,
                "Finds stalled jobs and moves them into recovery",
                timeout_seconds=120,
                # One sweep at a time: two would race each other over the same stalled jobs.
                reserved_concurrency=1 if self.config.api_reserved_concurrency else None,
                environment=self._workflow_env(),
            ),
            actions=READ_WRITE_ACTIONS,
            indexes=(JOBS_BY_STATUS.name,),
        )
        if sweeper is None:
            return
        self.events.schedule_sweeper(
            sweeper.function, Duration.minutes(self.config.sweep_every_minutes)
        )
        if self.workflow is not None:
            self.workflow.grant_start(sweeper.role)

    # ------------------------------------------------------------------------------ workflow

    def _workflow(self) -> JobWorkflow | None:
        try:
            pipeline = importlib.import_module(PIPELINE_MODULE)
        except ModuleNotFoundError:
            self._missing(PIPELINE_MODULE)
            return None
        task_env = {
            **self._table_env,
            "JOBSTATE_TRANSLATOR": self._translator(),
            "JOBSTATE_MAX_CONCURRENCY": str(self.config.translation_max_concurrency),
        }
        task_functions: dict[str, lambda_.IFunction] = {}
        for name, handler in pipeline.TASK_HANDLERS.items():
            task = self._function(
                FunctionSpec(
                    substitution_key(name),
                    handler,
                    f"jobstate workflow task {name}",
                    memory_mb=512,
                    timeout_seconds=_task_timeout(pipeline, name),
                    environment=dict(task_env),
                ),
                actions=READ_WRITE_ACTIONS,
                indexes=(JOBS_BY_STATUS.name,),
            )
            if task is not None:
                task_functions[name] = task.function
        if len(task_functions) != len(pipeline.TASK_HANDLERS):
            return None
        return JobWorkflow(
            self,
            "Workflow",
            config=self.config,
            task_functions=task_functions,
            build_definition=pipeline.build_state_machine_definition,
        )

    def _translator(self) -> str:
        """The translation ports the tasks load (`package.module:factory`), from the context."""
        value = self.node.try_get_context(TRANSLATOR_CONTEXT_KEY) or "local"
        if value == "local":
            Annotations.of(self).add_warning_v2(
                "jobstate:local-translator",
                "the workflow translates with the built-in local ports; set -c translator=...",
            )
        return str(value)

    def _start_workflow_on_job_changes(self, workflow: JobWorkflow) -> None:
        # A job's workflow starts from its committed change (the stream relay's event), so a
        # created, resumed or retried job gets an execution even when the API call returned
        # early. A second execution of the same job is harmless: it supersedes the first.
        for construct_id, pattern in WORKFLOW_STARTS.items():
            events.Rule(
                self,
                construct_id,
                event_bus=self.events.bus,
                description=f"Starts a job's workflow execution: {construct_id}",
                event_pattern=pattern,
                targets=[
                    targets.SfnStateMachine(
                        workflow.state_machine,
                        input=events.RuleTargetInput.from_object(
                            {"jobId": events.EventField.from_path("$.detail.jobId")}
                        ),
                        dead_letter_queue=self.events.relay_dead_letters,
                        retry_attempts=20,
                        max_event_age=Duration.hours(2),
                    )
                ],
            )

    # ------------------------------------------------------------------------------- secrets

    def _cursor_secret(self) -> str:
        secret = secretsmanager.Secret(
            self,
            "CursorSecret",
            description="Signs jobstate's page cursors",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=48, exclude_punctuation=True
            ),
            removal_policy=self.config.removal_policy,
        )
        acknowledge(
            secret,
            id="AwsSolutions-SMG4",
            reason=(
                "The key only signs page cursors, which are short-lived pagination positions, "
                "not credentials; rotating it would just invalidate the pages users hold open."
            ),
        )
        # Limitation: the key reaches the function as an environment variable resolved at deploy
        # time, so whoever may read the function's configuration can read it; a cursor forged
        # with it is still bound to the forger's own listing by the service's scope check.
        return secret.secret_value.unsafe_unwrap()

    def _outputs(self) -> None:
        CfnOutput(self, "ApiUrl", value=self.api.api.url)
        CfnOutput(self, "TableName", value=self.jobs.table.table_name)
        CfnOutput(self, "EventBusName", value=self.events.bus.event_bus_name)
        CfnOutput(self, "UserPoolId", value=self.api.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=self.api.client.user_pool_client_id)
        CfnOutput(self, "AlarmTopicArn", value=self.monitoring.topic.topic_arn)
        if self.workflow is not None:
            CfnOutput(self, "StateMachineArn", value=self.workflow.state_machine_arn)


def _task_timeout(pipeline: ModuleType, task_name: str) -> int:
    """The Lambda timeout of a task: the pipeline's own task timeout when it declares one."""
    declared = getattr(pipeline, "PIPELINE", None)
    for spec in getattr(declared, "tasks", ()):
        if getattr(spec.step, "value", None) == task_name:
            return int(spec.timeout_seconds)
    return 300
