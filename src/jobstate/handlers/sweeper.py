"""Lambda entry point of the stall sweeper, run on a schedule."""

from __future__ import annotations

from typing import Any

from jobstate.store.executions import StepFunctionsStarter
from jobstate.store.manager import JobStateManager
from jobstate.workflow.settings import WorkflowSettings
from jobstate.workflow.sweeper import StallSweeper


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = WorkflowSettings.from_env()
    sweeper = StallSweeper(
        manager=JobStateManager(),
        starter=StepFunctionsStarter(settings.state_machine_arn or ""),
        settings=settings,
    )
    return sweeper.sweep().to_json_dict()
