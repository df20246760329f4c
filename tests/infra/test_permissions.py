"""Least privilege: explicit actions everywhere, `*` resources only where nothing else works."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from infra.stack import API_HANDLER, RELAY_HANDLER, REPORT_HANDLER, SWEEPER_HANDLER
from jobstate.store.schema import JOBS_BY_STATUS
from tests.infra.conftest import Synthesized

# Actions that support no resource-level permissions, so `*` is the only resource they take.
STAR_RESOURCE_ACTIONS = frozenset(
    {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "dynamodb:ListStreams",
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    }
)
WRITE_ACTIONS = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}


def _listify(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(synthesized: Synthesized, env: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, policy in synthesized.resources(env, "AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            yield logical_id, statement
    for logical_id, role in synthesized.resources(env, "AWS::IAM::Role").items():
        for inline in role["Properties"].get("Policies", []):
            for statement in inline["PolicyDocument"]["Statement"]:
                yield logical_id, statement


def _role_actions(synthesized: Synthesized, handler: str) -> dict[str, list[Any]]:
    """Every action the role of the function running `handler` is allowed, with resources."""
    functions = synthesized.resources("dev", "AWS::Lambda::Function")
    (role_id,) = [
        f["Properties"]["Role"]["Fn::GetAtt"][0]
        for f in functions.values()
        if f["Properties"]["Handler"] == handler
    ]
    granted: dict[str, list[Any]] = {}
    for policy in synthesized.resources("dev", "AWS::IAM::Policy").values():
        if {"Ref": role_id} not in policy["Properties"]["Roles"]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            for action in _listify(statement["Action"]):
                granted.setdefault(action, []).extend(_listify(statement["Resource"]))
    return granted


def test_no_policy_grants_a_wildcard_action(synthesized: Synthesized) -> None:
    checked = 0
    for env in ("dev", "prod"):
        for logical_id, statement in _statements(synthesized, env):
            assert "NotAction" not in statement, logical_id
            for action in _listify(statement["Action"]):
                assert "*" not in action, (logical_id, action)
                checked += 1
    assert checked > 50


def test_star_resources_only_for_actions_without_resource_level_permissions(
    synthesized: Synthesized,
) -> None:
    for logical_id, statement in _statements(synthesized, "dev"):
        if "*" in _listify(statement.get("Resource", [])):
            actions = set(_listify(statement["Action"]))
            assert actions <= STAR_RESOURCE_ACTIONS, (logical_id, actions - STAR_RESOURCE_ACTIONS)


def test_each_function_gets_only_the_table_access_it_uses(synthesized: Synthesized) -> None:
    report = _role_actions(synthesized, REPORT_HANDLER)
    relay = _role_actions(synthesized, RELAY_HANDLER)
    sweeper = _role_actions(synthesized, SWEEPER_HANDLER)
    api = _role_actions(synthesized, API_HANDLER)

    assert not WRITE_ACTIONS & set(report)
    assert {a for a in relay if a.startswith("dynamodb:")} == {
        "dynamodb:GetItem",
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    }
    assert "events:PutEvents" in relay
    assert "events:PutEvents" not in api
    assert "states:StartExecution" in sweeper
    assert "states:StartExecution" not in api
    assert "dynamodb:DeleteItem" in api
    assert "dynamodb:DeleteItem" not in sweeper
    index_resources = [r for r in sweeper["dynamodb:Query"] if isinstance(r, dict)]
    joined = str(index_resources)
    assert f"/index/{JOBS_BY_STATUS.name}" in joined
    assert "/index/JobsByUser" not in joined


def test_the_state_machine_may_invoke_only_its_task_functions(synthesized: Synthesized) -> None:
    functions = synthesized.resources("dev", "AWS::Lambda::Function")
    task_ids = {
        logical_id
        for logical_id, f in functions.items()
        if f["Properties"]["Handler"].startswith("jobstate.handlers.workflow.")
    }
    invoked = set()
    for _, statement in _statements(synthesized, "dev"):
        if "lambda:InvokeFunction" in _listify(statement["Action"]) and any(
            "Fn::GetAtt" in r and r["Fn::GetAtt"][0] in task_ids
            for r in _listify(statement["Resource"])
            if isinstance(r, dict)
        ):
            invoked |= {r["Fn::GetAtt"][0] for r in _listify(statement["Resource"])}
    assert invoked == task_ids


def test_the_fan_out_may_run_child_executions_of_its_own_machine(
    synthesized: Synthesized,
) -> None:
    granted: dict[str, list[str]] = {}
    for _, statement in _statements(synthesized, "dev"):
        for action in _listify(statement["Action"]):
            if action.startswith("states:"):
                granted.setdefault(action, []).append(str(statement["Resource"]))

    assert any(":stateMachine:jobstate-dev-job" in r for r in granted["states:StartExecution"])
    for action in ("states:DescribeExecution", "states:StopExecution"):
        assert [r for r in granted[action] if ":execution:jobstate-dev-job/*" in r], action
