"""Lambda entry points of the pipeline's tasks: parse the input, run one task, return its result."""

from __future__ import annotations

import time
from typing import Any

from jobstate.workflow.tasks import StepInput, WorkflowTasks

# A translate batch stops starting attempts this long before Lambda's timeout.
DEADLINE_MARGIN_SECONDS = 30.0

_tasks: WorkflowTasks | None = None


def install(tasks: WorkflowTasks | None) -> None:
    """Use `tasks` for every handler (the local runner installs its own); None resets."""
    global _tasks
    _tasks = tasks


def _service() -> WorkflowTasks:
    global _tasks
    if _tasks is None:
        _tasks = WorkflowTasks()
    return _tasks


def _deadline(context: Any) -> float | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    seconds = float(remaining()) / 1000.0
    return time.monotonic() + max(seconds - DEADLINE_MARGIN_SECONDS, 1.0)


def route_job(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _service().route_job(StepInput.model_validate(event)).payload()


def validate_document(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _service().validate_document(StepInput.model_validate(event)).payload()


def admit_job(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _service().admit_job(StepInput.model_validate(event)).payload()


def chunk_document(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _service().chunk_document(StepInput.model_validate(event)).payload()


def plan_translation(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _service().plan_translation(StepInput.model_validate(event)).payload()


def translate_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = StepInput.model_validate(event)
    return _service().translate_batch(step, deadline=_deadline(context)).payload()


def assemble_document(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _service().assemble_document(StepInput.model_validate(event)).payload()


def finalize_job(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _service().finalize_job(StepInput.model_validate(event)).payload()


def record_failure(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _service().record_failure(StepInput.model_validate(event)).payload()
