"""Pure helpers of the HTTP layer: identity, cursors, polling headers, error mapping, local
tokens and the local gateway's event shape."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from jobstate import IllegalTransitionError, JobStatus, QuotaExceededError
from jobstate.handlers.access import (
    Caller,
    CallerCursors,
    MissingIdentityError,
    caller_from_event,
)
from jobstate.handlers.http_errors import to_response
from jobstate.handlers.polling import (
    MAX_ACTIVE_POLL_SECONDS,
    MIN_POLL_SECONDS,
    QUEUED_POLL_SECONDS,
    caching_headers,
    entity_tag,
    matches,
    poll_interval_seconds,
)
from jobstate.local.auth import (
    InvalidTokenError,
    authorizer_claims,
    bearer_token,
    issue_token,
    verify_token,
)
from jobstate.local.gateway import http_reply, proxy_event
from jobstate.models import CreateJobRequest
from jobstate.service.creation import request_fingerprint
from jobstate.service.cursor import CursorCodec, InvalidCursorError

S = JobStatus
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
SECRET = b"unit-test-secret"


def _event(claims: object) -> dict[str, object]:
    return {"requestContext": {"authorizer": {"claims": claims}}}


# ------------------------------------------------------------------------------- identity


@pytest.mark.parametrize(
    ("groups", "operator"),
    [
        ("operators", True),
        ("translators,operators", True),
        ("[admins, operators]", True),
        (["operators"], True),
        ("operators-archive", False),
        (None, False),
    ],
)
def test_operators_are_named_by_the_groups_claim(groups: object, operator: bool) -> None:
    claims = {"sub": "u-1"} if groups is None else {"sub": "u-1", "cognito:groups": groups}
    assert caller_from_event(_event(claims)) == Caller("u-1", operator)


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"requestContext": {}},
        {"requestContext": {"authorizer": {}}},
        _event({}),
        _event({"sub": ""}),
        _event({"sub": "has space"}),
        _event("sub"),
        {"requestContext": "x"},
    ],
)
def test_no_usable_identity_is_refused(event: dict[str, object]) -> None:
    with pytest.raises(MissingIdentityError):
        caller_from_event(event)


# -------------------------------------------------------------------------------- cursors


def test_a_sealed_cursor_opens_only_for_its_caller_and_listing() -> None:
    cursors = CallerCursors(CursorCodec(SECRET))
    alice, bob = Caller("alice", False), Caller("bob", True)
    sealed = cursors.seal(alice, "user-jobs:alice", "inner")
    assert sealed is not None
    assert cursors.open(alice, "user-jobs:alice", sealed) == "inner"
    assert cursors.seal(alice, "x", None) is None
    assert cursors.open(alice, "x", None) is None
    with pytest.raises(InvalidCursorError):
        cursors.open(bob, "user-jobs:alice", sealed)
    with pytest.raises(InvalidCursorError):
        cursors.open(alice, "user-jobs:alice:QUEUED", sealed)
    with pytest.raises(InvalidCursorError):
        CallerCursors(CursorCodec(b"another key")).open(alice, "user-jobs:alice", sealed)


# -------------------------------------------------------------------------------- polling


def test_entity_tags_match_as_if_none_match_says() -> None:
    tag = entity_tag("progress", 7)
    assert tag == '"progress-7"'
    assert matches('"progress-7"', tag)
    assert matches('W/"progress-7"', tag)
    assert matches('"progress-6", "progress-7"', tag)
    assert matches("*", tag)
    assert not matches('"progress-6"', tag)
    assert not matches('"details-7"', tag)
    assert not matches(None, tag)


def _interval(status: S, remaining: float | None = None, until: datetime | None = None) -> int:
    return poll_interval_seconds(
        status, remaining_seconds=remaining, rate_limited_until=until, now=NOW
    )


def test_poll_interval_fits_the_stage() -> None:
    assert _interval(S.QUEUED) == QUEUED_POLL_SECONDS
    assert _interval(S.TRANSLATING, remaining=3600) == MAX_ACTIVE_POLL_SECONDS
    assert _interval(S.TRANSLATING, remaining=60) == 6
    assert _interval(S.FINALIZING, remaining=1) == MIN_POLL_SECONDS
    assert _interval(S.RATE_LIMITED, until=NOW + timedelta(seconds=42)) == 42
    assert _interval(S.RATE_LIMITED, until=NOW - timedelta(seconds=5)) == MIN_POLL_SECONDS
    assert _interval(S.COMPLETED) > _interval(S.QUEUED) > _interval(S.TRANSLATING, remaining=60)
    # Faster as the ETA nears.
    etas = [1200, 600, 120, 30, 5]
    intervals = [_interval(S.TRANSLATING, remaining=eta) for eta in etas]
    assert intervals == sorted(intervals, reverse=True)


def test_caching_headers_are_private() -> None:
    headers = caching_headers('"progress-1"', 10)
    assert headers == {
        "ETag": '"progress-1"',
        "Cache-Control": "private, max-age=5",
        "Retry-After": "10",
        "Vary": "Authorization",
    }


# --------------------------------------------------------------------------------- errors


def test_illegal_transition_is_409_with_allowed_targets() -> None:
    error = IllegalTransitionError(S.CREATED, S.PAUSED, [S.CANCELLED, S.FAILED])
    response = to_response(error)
    assert response.status_code == 409
    body = json.loads(str(response.body))
    assert body["error"]["code"] == "ILLEGAL_TRANSITION"
    assert body["error"]["details"][0]["allowedTargets"] == ["CANCELLED", "FAILED"]


def test_quota_is_429_with_retry_after() -> None:
    response = to_response(QuotaExceededError("alice", 10))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"


def test_an_unexpected_error_is_500_without_internals() -> None:
    response = to_response(RuntimeError("secret table name and a stack"))
    assert response.status_code == 500
    assert "secret" not in str(response.body)
    assert json.loads(str(response.body))["error"]["code"] == "INTERNAL_ERROR"


# ------------------------------------------------------------------------------ requests


def test_equal_requests_have_equal_fingerprints() -> None:
    base = {
        "userId": "alice",
        "documentId": "d",
        "filename": "f.txt",
        "targetLanguage": "es",
        "documentMetadata": {"wordCount": 1, "fileSize": 1, "contentHash": "sha256:abcdef"},
    }
    spelled_out = {**base, "priority": "NORMAL"}
    other = {**base, "targetLanguage": "fr"}
    fingerprint = request_fingerprint(CreateJobRequest.model_validate(base))
    assert fingerprint == request_fingerprint(CreateJobRequest.model_validate(spelled_out))
    assert fingerprint != request_fingerprint(CreateJobRequest.model_validate(other))


# ------------------------------------------------------------------------------ local auth


def test_a_local_token_round_trips_into_string_claims() -> None:
    token = issue_token("alice", SECRET, operator=True, now=NOW)
    claims = verify_token(token, SECRET, now=NOW + timedelta(minutes=5))
    assert claims["sub"] == "alice"
    flat = authorizer_claims(claims)
    assert flat["cognito:groups"] == "operators"
    assert all(isinstance(v, str) for v in flat.values())
    assert caller_from_event(_event(flat)) == Caller("alice", True)
    plain = authorizer_claims(verify_token(issue_token("bob", SECRET, now=NOW), SECRET, now=NOW))
    assert "cognito:groups" not in plain


def _forged(claims: dict[str, object], alg: str = "HS256") -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': alg, 'typ': 'JWT'})}.{part(claims)}."


def test_bad_tokens_are_refused() -> None:
    token = issue_token("alice", SECRET, now=NOW)
    header, claims, signature = token.split(".")
    later = NOW + timedelta(days=1)
    cases = [
        token[:-2],
        f"{header}.{claims}",
        f"{header}.{claims}.{signature[::-1]}",
        "not a token",
        _forged({"sub": "ops", "exp": 9_999_999_999}, alg="none"),
    ]
    for bad in cases:
        with pytest.raises(InvalidTokenError):
            verify_token(bad, SECRET, now=NOW)
    with pytest.raises(InvalidTokenError):
        verify_token(token, b"other secret", now=NOW)
    with pytest.raises(InvalidTokenError):
        verify_token(token, SECRET, now=later)


def test_bearer_header_parsing() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    for bad in (None, "", "Basic abc", "Bearer "):
        with pytest.raises(InvalidTokenError):
            bearer_token(bad)


# -------------------------------------------------------------------------------- gateway


def test_the_gateway_builds_a_rest_proxy_event() -> None:
    event = proxy_event(
        "get",
        "/jobs/user/alice?status=QUEUED&status=FAILED&limit=5",
        [("Accept", "application/json"), ("X-Twice", "a"), ("X-Twice", "b")],
        b"",
        claims={"sub": "alice"},
    )
    assert event["httpMethod"] == "GET"
    assert event["path"] == "/jobs/user/alice"
    assert event["queryStringParameters"] == {"status": "FAILED", "limit": "5"}
    assert event["multiValueQueryStringParameters"]["status"] == ["QUEUED", "FAILED"]
    assert event["headers"]["X-Twice"] == "b"
    assert event["multiValueHeaders"]["X-Twice"] == ["a", "b"]
    assert event["requestContext"]["authorizer"] == {"claims": {"sub": "alice"}}
    assert event["body"] is None
    binary = proxy_event("POST", "/jobs", [], b"\xff\xfe", claims=None)
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\xff\xfe"
    assert binary["requestContext"]["authorizer"] == {}


def test_the_gateway_turns_a_reply_into_http() -> None:
    reply = http_reply(
        {
            "statusCode": 201,
            "multiValueHeaders": {"Set-Thing": ["a", "b"]},
            "headers": {"Location": "/jobs/1"},
            "body": '{"ok":true}',
            "isBase64Encoded": False,
        }
    )
    assert reply.status == 201
    assert ("Set-Thing", "a") in reply.headers
    assert ("Set-Thing", "b") in reply.headers
    assert ("Location", "/jobs/1") in reply.headers
    assert reply.body == b'{"ok":true}'
