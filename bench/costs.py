"""The AWS bill of state management for one job, from the counts a benchmark run measured.

Only what differs with how job state is kept is priced: DynamoDB reads and writes, the Lambda
time spent waiting for and parsing DynamoDB replies, the Step Functions transitions of the
pipeline, EventBridge events, and the stream relay jobstate adds. Translation itself (the model
calls and the Lambda time they take) is the same for both and left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench import prices
from jobstate.lifecycle.estimates import estimate_job
from jobstate.lifecycle.states import QualityLevel
from jobstate.workflow.pipeline import PIPELINE
from jobstate.workflow.policy import plan_batches

POLL_INTERVAL_SECONDS = 10  # one open browser tab polling the progress endpoint
ROUND_TRIP_SECONDS = 0.008  # assumed in-region DynamoDB latency per request, as Lambda waits it
PARSE_SECONDS_PER_KB = 0.00028  # botocore parsing a Query reply, profiled on the bench machine
API_MEMORY_GB = 1.0  # the API function (infra/stack.py) and the design's handlers
TASK_MEMORY_GB = 0.5  # workflow task functions, where chunk updates are made
RELAY_MEMORY_GB = 0.5
RELAY_BATCH = 100  # stream records per relay invocation (infra/events.py), at best
RELAY_SECONDS_PER_BATCH = 0.2  # assumed
MAX_CONCURRENCY = 10  # the production environment's translation fan-out
PROGRESS_EVENT_STEPS = 14  # a progress event per 5% of the 15-85% translating band
WORDS_PER_CHUNK = 1500


@dataclass(frozen=True)
class JobBill:
    dynamodb: float
    lambda_: float
    step_functions: float
    eventbridge: float

    @property
    def total(self) -> float:
        return self.dynamodb + self.lambda_ + self.step_functions + self.eventbridge


def polls_per_job(chunks: int) -> int:
    """Polls over the job's estimated duration (jobstate's own estimate, STANDARD quality)."""
    now = datetime(2025, 1, 1, tzinfo=UTC)
    estimate = estimate_job(chunks * WORDS_PER_CHUNK, QualityLevel.STANDARD, 0, now)
    return math.ceil(estimate.duration_seconds / POLL_INTERVAL_SECONDS)


def step_function_transitions(chunks: int) -> int:
    """The happy path with no queue, waits or retries.

    Parent: Route, Validate, Admit, Chunk, Plan, the fan-out, Plan again, Assemble, Finalize,
    the Dispatch choice after each task, and the end state. Each child execution of the
    Distributed Map: its start and its one task state.
    """
    tasks = [spec for spec in PIPELINE.tasks if spec.step.value != "RecordFailure"]
    parent = 2 * len(tasks) + 2
    batches = len(plan_batches(chunks, MAX_CONCURRENCY))
    return parent + 2 * batches


def _lambda_seconds(block: dict[str, Any], count: float) -> float:
    waiting = block["requests"] * ROUND_TRIP_SECONDS
    parsing = block["bytes_received"] / 1024 * PARSE_SECONDS_PER_KB
    return (waiting + parsing) * count


def bill(result: dict[str, Any], *, jobstate: bool) -> tuple[JobBill, dict[str, float]]:
    chunks = int(result["chunks"])
    polls = polls_per_job(chunks)
    job, poll, update = result["per_job"], result["per_poll"], result["per_update"]
    dynamo = prices.dynamodb_cost(job["read_units"], job["write_units"])
    dynamo += polls * prices.dynamodb_cost(poll["read_units"], poll["write_units"])
    gb_seconds = API_MEMORY_GB * _lambda_seconds(poll, polls)
    gb_seconds += TASK_MEMORY_GB * _lambda_seconds(update, result["updates"])
    invocations = float(polls)
    events = float(result["events_published"] or 0)
    if jobstate:
        transitions = 10  # CREATED and nine moves to COMPLETED, each a history item
        records = 2 * result["updates"] + 2 * transitions
        relay_calls = math.ceil(records / RELAY_BATCH)
        invocations += relay_calls
        gb_seconds += RELAY_MEMORY_GB * RELAY_SECONDS_PER_BATCH * relay_calls
        events = transitions + PROGRESS_EVENT_STEPS
    lambda_cost = invocations * prices.LAMBDA_REQUEST + gb_seconds * prices.LAMBDA_GB_SECOND
    sfn = step_function_transitions(chunks) * prices.STEP_FUNCTIONS_TRANSITION
    figures = {
        "polls": polls,
        "lambda_gb_seconds": gb_seconds,
        "lambda_invocations": invocations,
        "events": events,
        "transitions": step_function_transitions(chunks),
    }
    return JobBill(dynamo, lambda_cost, sfn, events * prices.EVENTBRIDGE_EVENT), figures


def markdown(results: dict[str, Any], chunks: int = 1000) -> str:
    size = next((s for s in results["sizes"] if s["chunks"] == chunks), None)
    if size is None:
        return ""
    ours, our_figures = bill(size["jobstate"], jobstate=True)
    theirs, their_figures = bill(size["baseline"], jobstate=False)
    lines = [
        f"## AWS cost of one {chunks:,}-chunk job (state management only)",
        "",
        f"Prices: {prices.PRICES_AS_OF}. Polls: one every {POLL_INTERVAL_SECONDS} s over the "
        f"estimated duration ({our_figures['polls']} polls). See docs/scaling.md for the "
        "assumptions.",
        "",
        "| item | jobstate | reference design | ratio |",
        "|---|---|---|---|",
    ]
    for name, attribute in (
        ("DynamoDB (job + polls)", "dynamodb"),
        ("Lambda (DynamoDB waits and parsing, relay)", "lambda_"),
        ("Step Functions transitions", "step_functions"),
        ("EventBridge events", "eventbridge"),
        ("total", "total"),
    ):
        a, b = getattr(ours, attribute), getattr(theirs, attribute)
        ratio = f"{a / b:.3g}" if b else "n/a"
        lines.append(f"| {name} | ${a:.5f} | ${b:.5f} | {ratio} |")
    lines += [
        "",
        f"Lambda GB-seconds {our_figures['lambda_gb_seconds']:.1f} / "
        f"{their_figures['lambda_gb_seconds']:.1f}; events {our_figures['events']:.0f} / "
        f"{their_figures['events']:.0f}; Step Functions transitions "
        f"{our_figures['transitions']} for both (the design defines no state machine, so the "
        "baseline is given jobstate's).",
    ]
    return "\n".join(lines) + "\n"
