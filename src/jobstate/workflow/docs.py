"""The generated description of the pipeline (docs/workflow.md), rendered from its definition."""

from __future__ import annotations

import json

from jobstate.workflow.pipeline import PIPELINE, TASK_HANDLERS, build_state_machine_definition
from jobstate.workflow.policy import STALL_AFTER_SECONDS

EXAMPLE_CONCURRENCY = 10


def workflow_markdown() -> str:
    tasks = "\n".join(
        f"| `{spec.step.value}` | `{spec.handler}` | {spec.timeout_seconds} | "
        + "; ".join(
            f"{', '.join(rule.errors)}: {rule.max_attempts}x from {rule.interval_seconds}s"
            for rule in spec.retry
        )
        + f" | {spec.catch_to.value if spec.catch_to else '-'} |"
        for spec in PIPELINE.tasks
    )
    stalls = "\n".join(
        f"| {status} | {seconds:.0f} |" for status, seconds in STALL_AFTER_SECONDS.items()
    )
    arns = {
        name: f"arn:aws:lambda:REGION:ACCOUNT:function:jobstate-{name}" for name in TASK_HANDLERS
    }
    definition = json.dumps(
        build_state_machine_definition(arns, max_concurrency=EXAMPLE_CONCURRENCY), indent=2
    )
    return f"""# The translation workflow

Generated from `jobstate.workflow.pipeline` by `make docs`; do not edit by hand.

Every execution starts at `{PIPELINE.start.value}`, which routes from wherever the job stands,
so the same state machine starts new jobs, restarts stalled ones and re-runs retried ones. Each
task returns `next`; the `Dispatch` choice state routes it. Retries use full jitter; an error
that retries do not fix goes to the catch target, which lets recovery decide from the job's
current state.

| task | handler | timeout (s) | retry | catch |
|---|---|---|---|---|
{tasks}

The stall sweeper (`jobstate.handlers.sweeper.handler`) treats a job as stalled after this many
seconds without activity in its state (times JOBSTATE_TIME_SCALE):

| state | seconds |
|---|---|
{stalls}

## Amazon States Language (with JOBSTATE_MAX_CONCURRENCY={EXAMPLE_CONCURRENCY})

```json
{definition}
```
"""
