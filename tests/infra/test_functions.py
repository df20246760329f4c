"""Every handler the other parts define is deployed, on arm64 and the newest Python runtime."""

from __future__ import annotations

from typing import Any

import pytest

from infra.environments import ENVIRONMENTS, environment_named
from infra.events import RELAY_MAX_RECORD_AGE
from infra.functions import LAMBDA_RUNTIME, handler_is_present
from infra.stack import API_HANDLER, RELAY_HANDLER, REPORT_HANDLER, SWEEPER_HANDLER
from jobstate import metric_names
from jobstate.workflow.pipeline import TASK_HANDLERS
from tests.infra.conftest import Synthesized

CONTRACT_HANDLERS = {API_HANDLER, RELAY_HANDLER, REPORT_HANDLER, SWEEPER_HANDLER}


def _functions(synthesized: Synthesized, env: str = "dev") -> dict[str, dict[str, Any]]:
    return {
        f["Properties"]["Handler"]: f["Properties"]
        for f in synthesized.resources(env, "AWS::Lambda::Function").values()
    }


def test_every_contract_handler_is_deployed(synthesized: Synthesized) -> None:
    for stack in synthesized.stacks.values():
        assert stack.missing == []
    assert set(_functions(synthesized)) == CONTRACT_HANDLERS | set(TASK_HANDLERS.values())


def test_newest_python_runtime_on_arm64_with_tracing(synthesized: Synthesized) -> None:
    from aws_cdk import aws_lambda as lambda_

    newest = max(
        (getattr(lambda_.Runtime, n) for n in dir(lambda_.Runtime) if n.startswith("PYTHON_")),
        key=lambda runtime: tuple(int(p) for p in runtime.name[len("python") :].split(".")),
    )
    assert LAMBDA_RUNTIME.name == newest.name
    for handler, properties in _functions(synthesized).items():
        assert properties["Runtime"] == newest.name, handler
        assert properties["Architectures"] == ["arm64"], handler
        assert properties["TracingConfig"] == {"Mode": "Active"}, handler
        variables = properties["Environment"]["Variables"]
        assert variables["POWERTOOLS_SERVICE_NAME"] == "jobstate"
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == metric_names.NAMESPACE
        assert variables["POWERTOOLS_LOG_LEVEL"] == ENVIRONMENTS["dev"].log_level
        assert "LoggingConfig" in properties, handler


def test_reserved_concurrency_where_the_account_can_afford_it(synthesized: Synthesized) -> None:
    dev, prod = _functions(synthesized, "dev"), _functions(synthesized, "prod")

    assert "ReservedConcurrentExecutions" not in dev[API_HANDLER]
    assert prod[API_HANDLER]["ReservedConcurrentExecutions"] == 50
    assert prod[SWEEPER_HANDLER]["ReservedConcurrentExecutions"] == 1


def test_relay_reads_the_stream_safely(synthesized: Synthesized) -> None:
    (mapping,) = synthesized.resources("dev", "AWS::Lambda::EventSourceMapping").values()
    properties = mapping["Properties"]
    queues = synthesized.resources("dev", "AWS::SQS::Queue")

    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["MaximumRecordAgeInSeconds"] == RELAY_MAX_RECORD_AGE.to_seconds()
    assert properties["StartingPosition"] == "TRIM_HORIZON"
    destination = properties["DestinationConfig"]["OnFailure"]["Destination"]
    assert destination["Fn::GetAtt"][0] in queues
    relay = _functions(synthesized)[RELAY_HANDLER]["Environment"]["Variables"]
    assert {"EVENT_BUS_NAME", "JOBSTATE_DEAD_LETTER_QUEUE_URL", "JOBS_TABLE"} <= set(relay)


def test_bus_archive_and_sweeper_schedule(synthesized: Synthesized) -> None:
    template = synthesized.templates["dev"]
    template.resource_count_is("AWS::Events::EventBus", 1)
    template.resource_count_is("AWS::Events::Archive", 1)
    scheduled = [
        rule["Properties"]
        for rule in synthesized.resources("dev", "AWS::Events::Rule").values()
        if "ScheduleExpression" in rule["Properties"]
    ]
    assert [r["ScheduleExpression"] for r in scheduled] == [
        f"rate({ENVIRONMENTS['dev'].sweep_every_minutes} minutes)"
    ]


def test_outputs_name_what_a_deployer_needs(synthesized: Synthesized) -> None:
    outputs = synthesized.template("prod")["Outputs"]
    for name in ("ApiUrl", "TableName", "EventBusName", "StateMachineArn", "UserPoolId"):
        assert name in outputs, name


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ValueError, match="dev, staging, prod"):
        environment_named("qa")


def test_handler_lookup_tells_missing_from_present() -> None:
    assert handler_is_present(API_HANDLER)
    assert not handler_is_present("jobstate.handlers.nothing_here.handler")
    assert not handler_is_present("jobstate.handlers.api.no_such_function")
