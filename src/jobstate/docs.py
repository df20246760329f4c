"""Generated documents: each is rebuilt from the code, and a test fails when one is stale."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from jobstate.lifecycle.graph import JOB_TRANSITIONS, TERMINAL_STATES, mermaid_diagram
from jobstate.lifecycle.progress import HUMAN_STAGES, STAGE_BANDS

ROOT = Path(__file__).resolve().parents[2]


def lifecycle_markdown() -> str:
    rows = "\n".join(
        f"| {e.source} | {e.target} | {e.trigger.value.lower()} | "
        f"{', '.join(sorted(r.value.lower() for r in e.roles))} | {e.description} |"
        for e in sorted(JOB_TRANSITIONS, key=lambda e: (e.source, e.target))
    )
    bands = "\n".join(
        f"| {state} | {start:g}-{end:g} |" for state, (start, end) in STAGE_BANDS.items()
    )
    stages = "\n".join(f"| {state} | {text} |" for state, text in HUMAN_STAGES.items())
    terminal = ", ".join(sorted(TERMINAL_STATES))
    return f"""# Job lifecycle

Generated from `src/jobstate/lifecycle/` by `make docs`; a test fails when this file is stale.

Terminal states: {terminal}. FAILED is settled but not terminal: a retry can leave it.
Operators may take every edge; the roles column names who else may.

```mermaid
{mermaid_diagram()}```

## Edges

| from | to | trigger | roles | meaning |
|---|---|---|---|---|
{rows}

## Overall progress bands

A job's overall progress lies in the band of its last work stage; holding states (PAUSED,
RATE_LIMITED, RETRYING, RECOVERING, RESUMING) keep the figure of the stage they interrupted, and a
floor raised at every transition means a poll never sees it go down. 100 is shown only at
COMPLETED.

| stage | band |
|---|---|
{bands}

## Stages as users read them

| state | shown as |
|---|---|
{stages}
"""


def openapi_json() -> str:
    from jobstate.handlers.api import openapi_document

    return openapi_document()


def workflow_markdown() -> str:
    from jobstate.workflow.docs import workflow_markdown as render

    return render()


def events_markdown() -> str:
    from jobstate.events.docs import events_markdown as render

    return render()


GENERATED: dict[str, Callable[[], str]] = {
    "docs/lifecycle.md": lifecycle_markdown,
    "docs/openapi.json": openapi_json,
    "docs/events.md": events_markdown,
    "docs/workflow.md": workflow_markdown,
}


def main(argv: Sequence[str] | None = None) -> int:
    check = "--check" in (argv or [])
    stale = []
    for relative, render in GENERATED.items():
        path = ROOT / relative
        text = render()
        if path.exists() and path.read_text() == text:
            continue
        stale.append(relative)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    verb = "stale" if check else "written"
    for relative in stale:
        print(f"{verb}: {relative}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
