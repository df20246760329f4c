"""The state machine is the pipeline's own definition, wired to one Lambda per task."""

from __future__ import annotations

import json
from typing import Any

from infra.environments import ENVIRONMENTS
from infra.workflow import substitution_key
from jobstate.workflow import pipeline
from tests.infra.conftest import Synthesized


def _state_machine(synthesized: Synthesized, env: str) -> dict[str, Any]:
    (machine,) = synthesized.resources(env, "AWS::StepFunctions::StateMachine").values()
    return machine["Properties"]  # type: ignore[no-any-return]


def _definition(synthesized: Synthesized, env: str) -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(_state_machine(synthesized, env)["DefinitionString"])
    return definition


def test_definition_is_the_pipelines_own(synthesized: Synthesized) -> None:
    placeholders = {name: f"${{{substitution_key(name)}}}" for name in pipeline.TASK_HANDLERS}
    expected = pipeline.build_state_machine_definition(
        placeholders, max_concurrency=ENVIRONMENTS["dev"].translation_max_concurrency
    )

    assert _definition(synthesized, "dev") == expected


def test_fan_out_has_its_concurrency_and_every_task_retries(synthesized: Synthesized) -> None:
    for env in ("dev", "prod"):
        states = _definition(synthesized, env)["States"]
        fanouts = [s for s in states.values() if s["Type"] == "Map"]
        assert len(fanouts) == 1
        fanout = fanouts[0]
        assert fanout["MaxConcurrency"] == ENVIRONMENTS[env].translation_max_concurrency
        assert fanout["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"

        tasks = [s for s in states.values() if s["Type"] == "Task"]
        tasks += [s for s in fanout["ItemProcessor"]["States"].values() if s["Type"] == "Task"]
        assert len(tasks) == len(pipeline.TASK_HANDLERS)
        for task in tasks:
            assert task["Retry"], task
            assert all(rule["JitterStrategy"] == "FULL" for rule in task["Retry"])
            assert all(rule["MaxAttempts"] >= 1 for rule in task["Retry"])


def test_every_task_resolves_to_the_function_running_its_handler(
    synthesized: Synthesized,
) -> None:
    properties = _state_machine(synthesized, "dev")
    functions = synthesized.resources("dev", "AWS::Lambda::Function")

    for name, handler in pipeline.TASK_HANDLERS.items():
        reference = properties["DefinitionSubstitutions"][substitution_key(name)]
        logical_id, attribute = reference["Fn::GetAtt"]
        assert attribute == "Arn"
        assert functions[logical_id]["Properties"]["Handler"] == handler


def test_standard_machine_logs_all_events_and_traces(synthesized: Synthesized) -> None:
    properties = _state_machine(synthesized, "dev")

    assert properties["StateMachineType"] == "STANDARD"
    assert properties["LoggingConfiguration"]["Level"] == "ALL"
    assert properties["TracingConfiguration"] == {"Enabled": True}


def test_task_lambda_timeouts_match_the_pipeline(synthesized: Synthesized) -> None:
    functions = {
        f["Properties"]["Handler"]: f["Properties"]
        for f in synthesized.resources("dev", "AWS::Lambda::Function").values()
    }
    for spec in pipeline.PIPELINE.tasks:
        assert functions[spec.handler]["Timeout"] == spec.timeout_seconds


def test_job_events_start_executions(synthesized: Synthesized) -> None:
    machine_id = next(iter(synthesized.resources("dev", "AWS::StepFunctions::StateMachine")))
    rules = [
        rule["Properties"]
        for rule in synthesized.resources("dev", "AWS::Events::Rule").values()
        if any(t["Arn"] == {"Ref": machine_id} for t in rule["Properties"].get("Targets", []))
    ]
    detail_types = sorted(t for rule in rules for t in rule["EventPattern"]["detail-type"])

    assert detail_types == ["Job Created", "Job State Changed", "Job State Changed"]
    for rule in rules:
        (target,) = rule["Targets"]
        transformer = target["InputTransformer"]
        # EventBridge writes the JSON value of an unquoted placeholder, quotes included.
        assert transformer["InputTemplate"] == '{"jobId":<detail-jobId>}'
        assert transformer["InputPathsMap"] == {"detail-jobId": "$.detail.jobId"}
        assert "DeadLetterConfig" in target
