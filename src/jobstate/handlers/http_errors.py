"""Every error the HTTP API answers, and the one table that maps domain errors to HTTP statuses.

Each reply is `{"error": {"code", "message", "details"}}`; nothing a client sends reaches a 500,
and no reply carries a stack trace or the exception's internals.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from pydantic import BaseModel, Field, ValidationError

from jobstate.errors import (
    ChunkNotFoundError,
    ChunksAlreadyRegisteredError,
    IllegalTransitionError,
    InvalidRequestError,
    JobNotFoundError,
    QuotaExceededError,
    StaleStateError,
    StoreUnavailableError,
)
from jobstate.observability import logger
from jobstate.service.creation import DuplicateJobError, IdempotencyKeyReusedError
from jobstate.service.cursor import InvalidCursorError

QUOTA_RETRY_AFTER_SECONDS = 60
STORE_RETRY_AFTER_SECONDS = 2


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine-readable code, e.g. JOB_NOT_FOUND")
    message: str = Field(description="what went wrong, for people")
    details: list[dict[str, Any]] = Field(
        default_factory=list, description="the fields at fault, or the allowed targets"
    )


class ErrorEnvelope(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """An error raised by the HTTP layer itself (identity, access, size, caching)."""

    status = HTTPStatus.BAD_REQUEST
    code = "BAD_REQUEST"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class UnauthorizedError(ApiError):
    status = HTTPStatus.UNAUTHORIZED
    code = "UNAUTHORIZED"


class ForbiddenError(ApiError):
    status = HTTPStatus.FORBIDDEN
    code = "FORBIDDEN"


class PayloadTooLargeError(ApiError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = "PAYLOAD_TOO_LARGE"


class NotModifiedError(Exception):
    """Not a failure: the client's copy is current. Carries the caching headers of the 304."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        super().__init__("not modified")
        self.headers = dict(headers)


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> str:
    envelope = ErrorEnvelope(error=ErrorDetail(code=code, message=message, details=details or []))
    return json.dumps(envelope.model_dump(mode="json"), separators=(",", ":"))


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[str]:
    return Response(
        status_code=int(status),
        content_type=content_types.APPLICATION_JSON,
        body=error_body(code, message, details),
        headers=dict(headers or {}),
    )


def _field_errors(errors: list[Any]) -> list[dict[str, Any]]:
    """Pydantic's errors without their input values (which may be document text or secrets)."""
    return [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())),
            "type": str(error.get("type", "")),
            "message": str(error.get("msg", "")),
        }
        for error in errors
    ]


def _validation(errors: list[Any]) -> Response[str]:
    details = _field_errors(errors)
    if any(e["type"] == "json_invalid" for e in details):
        return error_response(
            HTTPStatus.BAD_REQUEST, "MALFORMED_REQUEST", "the body is not valid JSON", details
        )
    return error_response(
        HTTPStatus.UNPROCESSABLE_ENTITY, "INVALID_FIELDS", "some fields are invalid", details
    )


def _illegal(error: IllegalTransitionError) -> Response[str]:
    details = [
        {
            "currentStatus": error.source.value,
            "requestedStatus": error.target.value,
            "allowedTargets": [t.value for t in error.allowed],
        }
    ]
    return error_response(HTTPStatus.CONFLICT, error.code, str(error), details)


def _stale(error: StaleStateError) -> Response[str]:
    details = [{"currentStatus": error.current.value, "currentVersion": error.current_version}]
    message = "the job changed while the request was handled; read it again"
    return error_response(HTTPStatus.CONFLICT, error.code, message, details)


def _quota(error: QuotaExceededError) -> Response[str]:
    message = f"at most {error.limit} active jobs are allowed per user"
    return error_response(
        HTTPStatus.TOO_MANY_REQUESTS,
        error.code,
        message,
        [{"limit": error.limit}],
        {"Retry-After": str(QUOTA_RETRY_AFTER_SECONDS)},
    )


def _duplicate(error: DuplicateJobError) -> Response[str]:
    return error_response(HTTPStatus.CONFLICT, error.code, str(error), [{"jobId": error.job_id}])


def _store(error: StoreUnavailableError) -> Response[str]:
    logger.warning("store unavailable after retries", extra={"error_code": error.code})
    return error_response(
        HTTPStatus.SERVICE_UNAVAILABLE,
        error.code,
        "the service is busy; try again shortly",
        headers={"Retry-After": str(STORE_RETRY_AFTER_SECONDS)},
    )


def _simple(status: HTTPStatus) -> Callable[[Any], Response[str]]:
    def respond(error: Any) -> Response[str]:
        return error_response(status, error.code, str(error))

    return respond


# The one place where errors become statuses. Order matters: subclasses before their bases.
_MAPPING: tuple[tuple[type[Exception], Callable[[Any], Response[str]]], ...] = (
    (InvalidCursorError, _simple(HTTPStatus.BAD_REQUEST)),
    (JobNotFoundError, _simple(HTTPStatus.NOT_FOUND)),
    (ChunkNotFoundError, _simple(HTTPStatus.NOT_FOUND)),
    (IllegalTransitionError, _illegal),
    (StaleStateError, _stale),
    (DuplicateJobError, _duplicate),
    (ChunksAlreadyRegisteredError, _simple(HTTPStatus.CONFLICT)),
    (QuotaExceededError, _quota),
    (IdempotencyKeyReusedError, _simple(HTTPStatus.UNPROCESSABLE_ENTITY)),
    (InvalidRequestError, _simple(HTTPStatus.UNPROCESSABLE_ENTITY)),
    (StoreUnavailableError, _store),
)


def to_response(error: Exception) -> Response[str]:
    """The reply for any exception a route raised."""
    if isinstance(error, NotModifiedError):
        return Response(status_code=HTTPStatus.NOT_MODIFIED, body="", headers=error.headers)
    if isinstance(error, ApiError):
        return error_response(error.status, error.code, error.message, error.details)
    if isinstance(error, RequestValidationError):
        return _validation(list(error.errors()))
    if isinstance(error, ValidationError):
        return _validation(list(error.errors()))
    if isinstance(error, RequestUnsupportedContentType):
        return error_response(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE", "send application/json"
        )
    if isinstance(error, NotFoundError):
        return error_response(HTTPStatus.NOT_FOUND, "ROUTE_NOT_FOUND", "no such route")
    for kind, respond in _MAPPING:
        if isinstance(error, kind):
            return respond(error)
    logger.exception("unexpected error", extra={"error_type": type(error).__name__})
    return error_response(
        HTTPStatus.INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "the request could not be completed"
    )


def install(app: APIGatewayRestResolver) -> None:
    """Route every exception through `to_response` (Powertools looks handlers up by MRO)."""
    app.exception_handler(Exception)(to_response)


def documented_errors(*statuses: int) -> dict[int, Any]:
    """OpenAPI response entries for the given error statuses, all with the error envelope."""
    content = {"application/json": {"model": ErrorEnvelope}}
    return {
        status: {"description": HTTPStatus(status).phrase, "content": content}
        for status in statuses
    }
