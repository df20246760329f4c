"""docs/events.md: every event on the bus with its JSON schema, rendered from the models."""

from __future__ import annotations

import json

from jobstate.events.models import (
    DEFAULT_EVENT_BUS_NAME,
    DETAIL_MODELS,
    DETAIL_TYPES,
    EVENT_SOURCE,
    PROGRESS_STEP_PERCENT,
    JobEventType,
)

_WHEN: dict[JobEventType, str] = {
    JobEventType.JOB_CREATED: "a job is created (its history version 1)",
    JobEventType.JOB_STATE_CHANGED: "a job moves along any edge not covered by another event",
    JobEventType.JOB_PROGRESS_UPDATED: (
        f"completed chunks carry the job into a new {PROGRESS_STEP_PERCENT:g}% step of overall "
        "progress (in-chunk updates never do)"
    ),
    JobEventType.JOB_COMPLETED: "a job reaches COMPLETED",
    JobEventType.JOB_FAILED: "a job moves to FAILED",
}


def events_markdown() -> str:
    sections = []
    for event_type in JobEventType:
        schema = DETAIL_MODELS[event_type].model_json_schema(by_alias=True)
        sections.append(
            f"## {event_type.value}\n\n"
            f"`detail-type`: `{DETAIL_TYPES[event_type]}`. Sent when {_WHEN[event_type]}.\n\n"
            f"```json\n{json.dumps(schema, indent=2, sort_keys=True)}\n```\n"
        )
    rows = "\n".join(f"| `{DETAIL_TYPES[t]}` | {t.value} | {_WHEN[t]} |" for t in JobEventType)
    body = "\n".join(sections)
    return f"""# Job events

Generated from `src/jobstate/events/models.py` by `make docs`; a test fails when this file is
stale.

jobstate publishes its state changes to the EventBridge bus named by `EVENT_BUS_NAME`
(default `{DEFAULT_EVENT_BUS_NAME}`), with `source` `{EVENT_SOURCE}`. Events come from the table's
stream, not from the request path: every committed change yields its event and a change that did
not commit never does.

- Delivery is at least once. `detail.eventId` (the job id and the version of the change) is the
  same on every copy of an event: drop the ones you have seen.
- A job's events are published in version order, at most one per job in each PutEvents request,
  but EventBridge does not promise to deliver them in order: order them by `detail.version`.
- Versions of a job that are neither a transition nor a progress step (in-chunk updates, for one)
  have no event, so the versions a consumer sees have gaps.
- Details carry ids, states, actors, reasons and progress figures; never document text,
  filenames or tokens.

| detail-type | eventType | sent when |
|---|---|---|
{rows}

{body}"""
