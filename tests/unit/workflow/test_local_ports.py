"""The local ports: a deterministic translator whose failure mix comes from the environment."""

from __future__ import annotations

import pytest

from jobstate.workflow.local_ports import LocalChunker, LocalTranslator
from jobstate.workflow.ports import TranslationError, TranslationRequest, load_ports
from jobstate.workflow.settings import WorkflowSettings, parse_failure_mix


def _request(index: int, attempt: int = 1) -> TranslationRequest:
    return TranslationRequest(
        job_id="JOB_A",
        chunk_index=index,
        attempt=attempt,
        text="Section.",
        token_count=100,
        target_language="es",
        quality_level="STANDARD",
    )


def _outcomes(translator: LocalTranslator, attempts: int = 300) -> list[str | None]:
    outcomes: list[str | None] = []
    for index in range(attempts):
        try:
            translator.translate(_request(index))
            outcomes.append(None)
        except TranslationError as error:
            outcomes.append(error.code)
    return outcomes


def test_the_failure_mix_is_parsed_and_checked() -> None:
    assert parse_failure_mix("RATE_LIMITED=0.05, service_unavailable=0.1") == {
        "RATE_LIMITED": 0.05,
        "SERVICE_UNAVAILABLE": 0.1,
    }
    assert parse_failure_mix("") == {}
    for bad in ("NOPE=0.1", "RATE_LIMITED", "RATE_LIMITED=2", "TIMEOUT=0.6,INVALID_CONTENT=0.6"):
        with pytest.raises(ValueError):
            parse_failure_mix(bad)


def test_settings_come_from_the_environment() -> None:
    settings = WorkflowSettings.from_env(
        {
            "JOBSTATE_MAX_CONCURRENCY": "4",
            "JOBSTATE_TIME_SCALE": "0.01",
            "JOBSTATE_LOCAL_FAILURES": "TIMEOUT=0.2",
            "JOBSTATE_LOCAL_LATENCY_MS": "5",
        }
    )
    assert settings.max_concurrency == 4 and settings.local_latency_ms == 5
    assert settings.local_failures == {"TIMEOUT": 0.2}
    assert settings.scaled(60) == pytest.approx(0.6)
    assert WorkflowSettings.from_env({}).translator == "local"


def test_the_local_translator_is_deterministic_with_the_configured_mix() -> None:
    mix = {"RATE_LIMITED": 0.1, "SERVICE_UNAVAILABLE": 0.2}
    first = _outcomes(LocalTranslator(failures=mix))
    second = _outcomes(LocalTranslator(failures=mix))

    assert first == second
    assert 0.05 < first.count("RATE_LIMITED") / len(first) < 0.17
    assert 0.13 < first.count("SERVICE_UNAVAILABLE") / len(first) < 0.28
    assert _outcomes(LocalTranslator()) == [None] * 300


def test_a_translation_reports_tokens_cost_and_request_id() -> None:
    translator = LocalTranslator()
    result = translator.translate(_request(3))

    assert result.text == "[es] Section."
    assert result.input_tokens == result.output_tokens == 100
    assert result.cost == pytest.approx(100 / 1000 * (0.000125 + 0.000375))
    assert result.provider_request_id.startswith("local-")
    assert translator.calls[("JOB_A", 3)] == 1 and translator.successes[("JOB_A", 3)] == 1


def test_the_local_chunker_matches_the_estimate() -> None:
    from datetime import UTC, datetime

    from jobstate.models import TranslationJobRecord

    now = datetime(2026, 1, 1, tzinfo=UTC)
    job = TranslationJobRecord(
        job_id="J", user_id="u", document_id="d", filename="a.docx", target_language="es",
        status="CHUNKING", created_at=now, updated_at=now, last_activity_at=now,
        word_count=3100, file_size=1, content_hash="sha256:abcdefgh",
    )  # fmt: skip
    specs = LocalChunker().plan(job)
    assert [s.index for s in specs] == [0, 1, 2]
    assert [s.token_count for s in specs] == [1950, 1950, 130]


def test_an_unknown_translator_is_refused() -> None:
    with pytest.raises(ValueError, match="JOBSTATE_TRANSLATOR"):
        load_ports(WorkflowSettings(translator="deepl"))
