"""The single definition of the pipeline: its tasks, their handlers, retry and catch policy.

Both the Step Functions state machine (`build_state_machine_definition`) and the local runner are
built from `PIPELINE`. Every task returns `next`, the step to take; one Choice state routes it, so
the deployed machine and the local runner take the same path for the same task results.

Translation fans out through a Distributed Map over ranges of chunk indexes, each range handled by
one child execution. A Distributed Map was chosen over an inline one because each child has its
own event history: the parent records a handful of events per wave whatever the number of chunks,
whereas an inline Map adds about seven events per item, and 400 items over a few retry waves would
approach the 25,000-event limit for a 10,000-chunk job. Payloads carry the job id and index ranges
only (at most `MAX_BATCHES` small objects, about 30 KB), never chunk lists or text. A job needs
one wave per retry round or rate-limit window, which the job's retry budget bounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Step(StrEnum):
    ROUTE = "Route"
    VALIDATE = "ValidateDocument"
    ADMIT = "AdmitJob"
    CHUNK = "ChunkDocument"
    PLAN = "PlanTranslation"
    TRANSLATE = "TranslateBatch"
    ASSEMBLE = "AssembleDocument"
    FINALIZE = "FinalizeJob"
    RECORD_FAILURE = "RecordFailure"


class Outcome(StrEnum):
    """Values of `next` that are not a task: a wait, the fan-out, or the end of the execution."""

    WAIT = "Wait"
    TRANSLATE = "Translate"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELLED = "Cancelled"
    RELEASED = "Released"  # held too long (paused); a later resume starts a new execution
    SUPERSEDED = "Superseded"  # a newer execution owns the job


TERMINAL_OUTCOMES: frozenset[str] = frozenset(
    {Outcome.SUCCEEDED, Outcome.FAILED, Outcome.CANCELLED, Outcome.RELEASED, Outcome.SUPERSEDED}
)


@dataclass(frozen=True)
class RetryRule:
    """Retry with capped exponential backoff and full jitter, as Step Functions applies it."""

    errors: tuple[str, ...]
    interval_seconds: int
    max_attempts: int
    backoff_rate: float = 2.0
    max_delay_seconds: int = 60

    def to_asl(self) -> dict[str, Any]:
        return {
            "ErrorEquals": list(self.errors),
            "IntervalSeconds": self.interval_seconds,
            "MaxAttempts": self.max_attempts,
            "BackoffRate": self.backoff_rate,
            "MaxDelaySeconds": self.max_delay_seconds,
            "JitterStrategy": "FULL",
        }

    def matches(self, error_name: str) -> bool:
        return error_name in self.errors or "States.ALL" in self.errors


@dataclass(frozen=True)
class TaskSpec:
    step: Step
    handler: str
    timeout_seconds: int
    retry: tuple[RetryRule, ...]
    catch_to: Step | None  # where an error that retries did not fix goes


# Faults of the Lambda service itself, and a store that kept throttling: both worth retrying.
LAMBDA_FAULTS = RetryRule(
    (
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
    ),
    interval_seconds=2,
    max_attempts=6,
)
STORE_FAULTS = RetryRule(("StoreUnavailableError",), interval_seconds=1, max_attempts=3)
STANDARD_RETRY = (LAMBDA_FAULTS, STORE_FAULTS)

HANDLER_MODULE = "jobstate.handlers.workflow"
# A translate batch stops starting attempts this long before its timeout.
TRANSLATE_TIMEOUT_SECONDS = 900
TASK_TIMEOUT_SECONDS = 300
# Ranges handed to the fan-out: at most this many, each at most MAX_BATCH_SIZE chunks unless
# the job is so long that MAX_BATCHES ranges need more.
MAX_BATCHES = 1000
MAX_BATCH_SIZE = 25


def _task(step: Step, function: str, *, timeout: int = TASK_TIMEOUT_SECONDS) -> TaskSpec:
    catch = None if step == Step.RECORD_FAILURE else Step.RECORD_FAILURE
    return TaskSpec(step, f"{HANDLER_MODULE}.{function}", timeout, STANDARD_RETRY, catch)


@dataclass(frozen=True)
class Pipeline:
    start: Step
    tasks: tuple[TaskSpec, ...]

    def task(self, step: Step) -> TaskSpec:
        for spec in self.tasks:
            if spec.step == step:
                return spec
        raise KeyError(step)


PIPELINE = Pipeline(
    start=Step.ROUTE,
    tasks=(
        _task(Step.ROUTE, "route_job"),
        _task(Step.VALIDATE, "validate_document"),
        _task(Step.ADMIT, "admit_job"),
        _task(Step.CHUNK, "chunk_document"),
        _task(Step.PLAN, "plan_translation"),
        _task(Step.TRANSLATE, "translate_batch", timeout=TRANSLATE_TIMEOUT_SECONDS),
        _task(Step.ASSEMBLE, "assemble_document"),
        _task(Step.FINALIZE, "finalize_job"),
        _task(Step.RECORD_FAILURE, "record_failure"),
    ),
)

TASK_HANDLERS: dict[str, str] = {spec.step.value: spec.handler for spec in PIPELINE.tasks}

FANOUT_STATE = "TranslateBatches"
DISPATCH_STATE = "Dispatch"
WAIT_STATE = "Wait"
AFTER_WAIT_STATE = "AfterWait"
TERMINAL_STATES: dict[str, str] = {
    Outcome.SUCCEEDED: "JobCompleted",
    Outcome.CANCELLED: "JobCancelled",
    Outcome.RELEASED: "JobReleased",
    Outcome.SUPERSEDED: "JobSuperseded",
    Outcome.FAILED: "JobFailed",
}

_TASK_INPUT = {"jobId.$": "$.jobId", "executionId.$": "$$.Execution.Id"}


def _catch(spec: TaskSpec) -> list[dict[str, Any]]:
    if spec.catch_to is None:
        return []
    return [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": spec.catch_to}]


def _task_state(spec: TaskSpec, arn: str) -> dict[str, Any]:
    parameters = dict(_TASK_INPUT)
    if spec.step == Step.RECORD_FAILURE:
        parameters["error.$"] = "$.error"
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": arn,
        "Parameters": parameters,
        "TimeoutSeconds": spec.timeout_seconds,
        "Retry": [rule.to_asl() for rule in spec.retry],
        "Next": DISPATCH_STATE,
    }
    if catch := _catch(spec):
        state["Catch"] = catch
    return state


def _fanout_state(spec: TaskSpec, arn: str, max_concurrency: int) -> dict[str, Any]:
    child = _task_state(spec, arn)
    child.pop("Catch", None)
    child.pop("Next")
    child["End"] = True
    child["Parameters"] = {
        "jobId.$": "$.jobId",
        "executionId.$": "$.executionId",
        "start.$": "$.start",
        "end.$": "$.end",
    }
    return {
        "Type": "Map",
        "ItemsPath": "$.batches",
        "ItemSelector": {
            "jobId.$": "$.jobId",
            "executionId.$": "$$.Execution.Id",
            "start.$": "$$.Map.Item.Value.start",
            "end.$": "$$.Map.Item.Value.end",
        },
        "MaxConcurrency": max_concurrency,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": spec.step.value,
            "States": {spec.step.value: child},
        },
        # Chunk outcomes are in the table; the wave's results would only fill the payload.
        "ResultPath": None,
        "Catch": _catch(spec),
        "Next": Step.PLAN.value,
    }


def _dispatch_state() -> dict[str, Any]:
    targets: dict[str, str] = {
        spec.step.value: spec.step.value for spec in PIPELINE.tasks if spec.step != Step.TRANSLATE
    }
    targets[Outcome.TRANSLATE] = FANOUT_STATE
    targets[Outcome.WAIT] = WAIT_STATE
    targets.update(TERMINAL_STATES)
    return {
        "Type": "Choice",
        "Choices": [
            {"Variable": "$.next", "StringEquals": outcome, "Next": state}
            for outcome, state in targets.items()
        ],
        "Default": "UnknownOutcome",
    }


def build_state_machine_definition(
    task_arns: Mapping[str, str], *, max_concurrency: int
) -> dict[str, Any]:
    """The Amazon States Language document of `PIPELINE`; `task_arns` maps task name to ARN."""
    missing = sorted(set(TASK_HANDLERS) - set(task_arns))
    if missing:
        raise ValueError(f"no ARN for tasks: {', '.join(missing)}")
    if max_concurrency < 1:
        raise ValueError("max_concurrency must be at least 1")
    states: dict[str, Any] = {}
    for spec in PIPELINE.tasks:
        arn = task_arns[spec.step.value]
        if spec.step == Step.TRANSLATE:
            states[FANOUT_STATE] = _fanout_state(spec, arn, max_concurrency)
        else:
            states[spec.step.value] = _task_state(spec, arn)
    states[DISPATCH_STATE] = _dispatch_state()
    states[WAIT_STATE] = {"Type": "Wait", "SecondsPath": "$.waitWholeSeconds", "Next": "AfterWait"}
    states[AFTER_WAIT_STATE] = {
        "Type": "Pass",
        "Parameters": {"jobId.$": "$.jobId", "next.$": "$.then"},
        "Next": DISPATCH_STATE,
    }
    for outcome, name in TERMINAL_STATES.items():
        if outcome == Outcome.FAILED:
            states[name] = {"Type": "Fail", "Error": "JobFailed", "Cause": "see the job record"}
        else:
            states[name] = {"Type": "Succeed"}
    states["UnknownOutcome"] = {
        "Type": "Fail",
        "Error": "UnknownOutcome",
        "Cause": "a task returned a next step the pipeline does not define",
    }
    return {
        "Comment": "jobstate translation pipeline (generated from jobstate.workflow.pipeline)",
        "StartAt": PIPELINE.start.value,
        "States": states,
    }
