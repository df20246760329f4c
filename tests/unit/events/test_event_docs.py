"""docs/events.md is generated from the event models; this fails when the committed copy is
stale."""

from __future__ import annotations

from jobstate import docs
from jobstate.events.docs import events_markdown
from jobstate.events.models import DETAIL_MODELS, JobEventType


def test_committed_events_document_matches_the_models() -> None:
    committed = (docs.ROOT / "docs" / "events.md").read_text()
    assert committed == events_markdown(), "docs/events.md is stale: run `make docs`"
    assert docs.GENERATED["docs/events.md"]() == committed


def test_every_event_type_has_a_model_and_a_section() -> None:
    text = events_markdown()
    assert set(DETAIL_MODELS) == set(JobEventType)
    for event_type in JobEventType:
        assert f"## {event_type.value}" in text
        schema = DETAIL_MODELS[event_type].model_json_schema(by_alias=True)
        assert {"eventId", "jobId", "userId", "version", "at"} <= set(schema["properties"])
