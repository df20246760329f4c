"""The single pipeline definition and the Amazon States Language generated from it."""

from __future__ import annotations

import importlib

import pytest

from jobstate.workflow.pipeline import (
    FANOUT_STATE,
    PIPELINE,
    TASK_HANDLERS,
    TERMINAL_STATES,
    Outcome,
    Step,
    build_state_machine_definition,
)

ARNS = {name: f"arn:aws:lambda:us-east-1:1:function:{name}" for name in TASK_HANDLERS}


def test_every_task_names_a_handler_that_exists() -> None:
    assert set(TASK_HANDLERS) == {step.value for step in Step}
    for path in TASK_HANDLERS.values():
        module, _, name = path.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name))


def test_every_task_state_retries_with_full_jitter_and_catches_into_recovery() -> None:
    states = build_state_machine_definition(ARNS, max_concurrency=7)["States"]

    for spec in PIPELINE.tasks:
        state = (
            states[FANOUT_STATE]["ItemProcessor"]["States"][spec.step.value]
            if spec.step == Step.TRANSLATE
            else states[spec.step.value]
        )
        assert state["Resource"] == ARNS[spec.step.value]
        assert state["Retry"], spec.step
        for rule in state["Retry"]:
            assert rule["JitterStrategy"] == "FULL"
            assert rule["MaxDelaySeconds"] <= 60
        outer = states[FANOUT_STATE] if spec.step == Step.TRANSLATE else state
        if spec.step == Step.RECORD_FAILURE:
            assert "Catch" not in outer
        else:
            assert outer["Catch"] == [
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "RecordFailure"}
            ]


def test_the_fanout_is_a_distributed_map_over_ranges() -> None:
    fanout = build_state_machine_definition(ARNS, max_concurrency=7)["States"][FANOUT_STATE]

    assert fanout["Type"] == "Map"
    assert fanout["MaxConcurrency"] == 7
    assert fanout["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert fanout["ItemsPath"] == "$.batches"
    assert fanout["ResultPath"] is None  # chunk outcomes live in the table, not the payload
    assert fanout["Next"] == Step.PLAN


def test_dispatch_routes_every_step_and_outcome() -> None:
    states = build_state_machine_definition(ARNS, max_concurrency=1)["States"]
    choices = {c["StringEquals"]: c["Next"] for c in states["Dispatch"]["Choices"]}

    for step in Step:
        if step != Step.TRANSLATE:
            assert choices[step.value] == step.value
    assert choices[Outcome.TRANSLATE] == FANOUT_STATE
    assert choices[Outcome.WAIT] == "Wait"
    for outcome, name in TERMINAL_STATES.items():
        assert choices[outcome] == name
    assert states["JobFailed"]["Type"] == "Fail"
    for name, state in states.items():  # every Next names a state
        for target in [state.get("Next"), state.get("Default")]:
            assert target is None or target in states, name


def test_task_payloads_carry_ids_only() -> None:
    states = build_state_machine_definition(ARNS, max_concurrency=1)["States"]
    assert states["Route"]["Parameters"] == {
        "jobId.$": "$.jobId",
        "executionId.$": "$$.Execution.Id",
    }


def test_a_missing_arn_or_bad_concurrency_is_refused() -> None:
    partial = dict(ARNS)
    partial.pop("TranslateBatch")
    with pytest.raises(ValueError, match="TranslateBatch"):
        build_state_machine_definition(partial, max_concurrency=1)
    with pytest.raises(ValueError, match="max_concurrency"):
        build_state_machine_definition(ARNS, max_concurrency=0)


def test_the_generated_workflow_document_is_current() -> None:
    from jobstate import docs

    path = docs.ROOT / "docs" / "workflow.md"
    assert path.read_text() == docs.GENERATED["docs/workflow.md"](), "run `make docs`"
