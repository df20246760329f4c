"""Models read and write the design's camelCase JSON and hold every field to its bounds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from jobstate import CreateJobRequest
from jobstate.lifecycle.estimates import estimate_job
from jobstate.lifecycle.states import QualityLevel
from jobstate.service.cursor import CursorCodec, InvalidCursorError
from jobstate.store import keys
from tests.support import create_request


def test_camel_case_in_and_out() -> None:
    request = create_request()
    assert request.document_metadata.word_count == 12000
    dumped = request.model_dump(by_alias=True, mode="json")
    assert dumped["documentMetadata"]["contentHash"] == "sha256:abc123"
    assert CreateJobRequest.model_validate(dumped) == request


def test_unknown_fields_are_refused() -> None:
    body = create_request().model_dump(by_alias=True, mode="json")
    body["isAdmin"] = True
    with pytest.raises(ValidationError):
        CreateJobRequest.model_validate(body)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("targetLanguage", "spanish"),
        ("targetLanguage", "e"),
        ("filename", "a/b.txt"),
        ("filename", "x" * 256),
        ("documentId", "doc 1"),
        ("priority", "URGENT"),
    ],
)
def test_bounds(field: str, value: str) -> None:
    body = create_request().model_dump(by_alias=True, mode="json")
    body[field] = value
    with pytest.raises(ValidationError):
        CreateJobRequest.model_validate(body)


def test_word_count_bounds() -> None:
    body = create_request().model_dump(by_alias=True, mode="json")
    for words in (0, 5_000_001):
        body["documentMetadata"]["wordCount"] = words
        with pytest.raises(ValidationError):
            CreateJobRequest.model_validate(body)


def test_chunk_keys_sort_past_a_thousand() -> None:
    sort_keys = [keys.chunk_sk(i) for i in (2, 999, 1000, 10_000, 999_999)]
    assert sort_keys == sorted(sort_keys)


def test_estimate_formula() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    estimate = estimate_job(15_000, QualityLevel.STANDARD, queue_ahead=2, now=now)
    assert estimate.chunks == 10
    assert estimate.cost == pytest.approx(15_000 * 1.3 / 1000 * 0.0005)
    assert estimate.duration_seconds == 60 + 20 + 2 * 600
    premium = estimate_job(15_000, QualityLevel.PREMIUM, queue_ahead=0, now=now)
    assert premium.cost > estimate.cost


def test_cursors_are_signed_and_scoped() -> None:
    codec = CursorCodec(b"secret")
    cursor = codec.encode("user-jobs:alice", {"key": {"a": 1}})
    assert codec.decode("user-jobs:alice", cursor) == {"key": {"a": 1}}
    with pytest.raises(InvalidCursorError):
        codec.decode("user-jobs:bob", cursor)
    with pytest.raises(InvalidCursorError):
        codec.decode("user-jobs:alice", cursor[:-3])
    tampered = ("A" if cursor[0] != "A" else "B") + cursor[1:]
    with pytest.raises(InvalidCursorError):
        codec.decode("user-jobs:alice", tampered)
    with pytest.raises(InvalidCursorError):
        CursorCodec(b"other").decode("user-jobs:alice", cursor)
