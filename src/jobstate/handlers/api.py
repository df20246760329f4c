"""The HTTP API: Powertools routes over TranslationJobService, behind a Cognito authorizer.

Each route parses, calls one service method and shapes the reply; errors become HTTP statuses
in `http_errors`. Other modules add routes through a `register_routes(app)` function named in
ROUTE_MODULES, so the Lambda and the local service serve the same set.
"""

from __future__ import annotations

import importlib
import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from pydantic import AwareDatetime

from jobstate.handlers import http_errors
from jobstate.handlers.access import Caller, CallerCursors, MissingIdentityError, caller_from_event
from jobstate.handlers.http_errors import (
    ApiError,
    ForbiddenError,
    NotModifiedError,
    UnauthorizedError,
    documented_errors,
)
from jobstate.handlers.polling import (
    caching_headers,
    entity_tag,
    matches,
    poll_interval_seconds,
    version_of,
)
from jobstate.lifecycle.states import ChunkStatus, JobStatus
from jobstate.models import (
    ChunkPage,
    CreateJobRequest,
    CreateJobResponse,
    HistoryEntry,
    JobDetailsResponse,
    JobHistoryResponse,
    JobProgressResponse,
    JobSummary,
    UpdateJobStatusRequest,
    UserJobsRequest,
    UserJobsResponse,
    utc_now,
)
from jobstate.models.requests import MAX_REASON_LENGTH
from jobstate.observability import logger
from jobstate.service.creation import JobCreationService
from jobstate.service.jobs import TranslationJobService
from jobstate.service.views import job_summary
from jobstate.store.manager import TransitionResult

BodyT = TypeVar("BodyT")

# Modules whose `register_routes(app)` adds routes to this API (e.g. reports).
ROUTE_MODULES: tuple[str, ...] = ("jobstate.handlers.report",)

MAX_BODY_BYTES = 16 * 1024
MAX_CURSOR_LENGTH = 4096
MAX_HEADER_LENGTH = 1024
ID_PATTERN = r"^[A-Za-z0-9._:@-]+$"
_JOB_PATH = re.compile(r"^/jobs/(?!user/)([A-Za-z0-9._:@-]{1,128})(?:/|$)")
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9._:-]+$"

JobId = Annotated[str, Path(alias="jobId", min_length=1, max_length=128, pattern=ID_PATTERN)]
IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match", max_length=MAX_HEADER_LENGTH)]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=MAX_HEADER_LENGTH)]
Cursor = Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH)]

_COMMON_ERRORS = (400, 401, 404, 413, 415, 422, 503)
_ENVELOPE_REF = "#/components/schemas/ErrorEnvelope"
_POLLING_HEADERS = {
    "ETag": {"description": "the job's version", "schema": {"type": "string"}},
    "Cache-Control": {"description": "private, max-age=<seconds>", "schema": {"type": "string"}},
    "Retry-After": {"description": "seconds until the next poll", "schema": {"type": "integer"}},
}
_CREATED_HEADERS = {
    "Location": {"description": "the job's URL", "schema": {"type": "string"}},
    "Idempotent-Replayed": {
        "description": "`true` when an earlier request with this key created the job",
        "schema": {"type": "string"},
    },
}


def _replies(
    model: type[Any], *statuses: int, ok: int = HTTPStatus.OK, polled: bool = False
) -> dict[int, Any]:
    """A route's documented replies: `model` on success, the common errors and `statuses`."""
    success: dict[str, Any] = {
        "description": HTTPStatus(ok).phrase,
        "content": {"application/json": {"model": model}},
    }
    if polled:
        success["headers"] = _POLLING_HEADERS
    if ok == HTTPStatus.CREATED:
        success["headers"] = _CREATED_HEADERS
    replies: dict[int, Any] = {int(ok): success, **documented_errors(*_COMMON_ERRORS, *statuses)}
    if polled:
        # Completed without content by Powertools; openapi_document() takes the body off again.
        replies[HTTPStatus.NOT_MODIFIED] = {
            "description": "Not Modified: the ETag still matches; no body",
            "headers": _POLLING_HEADERS,
        }
    return replies


# ------------------------------------------------------------------------------ service state


@dataclass
class _Wiring:
    service: TranslationJobService | None = None
    creation: JobCreationService | None = None
    cursors: CallerCursors | None = None
    on_job_created: Callable[[str], None] | None = None


_wiring = _Wiring()
_wiring_lock = threading.Lock()


def use_service(
    service: TranslationJobService | None,
    *,
    on_job_created: Callable[[str], None] | None = None,
) -> None:
    """Serve with `service` (None: build one from the environment on first use).

    `on_job_created(job_id)` is called after a request creates a job (not after a replay).
    """
    with _wiring_lock:
        _wiring.service = service
        _wiring.creation = None
        _wiring.cursors = None
        _wiring.on_job_created = on_job_created


def jobs() -> TranslationJobService:
    # Built on the first request, not at import, so a cold start loads no client it won't use.
    with _wiring_lock:
        if _wiring.service is None:
            _wiring.service = TranslationJobService()
        return _wiring.service


def _creation() -> JobCreationService:
    service = jobs()
    with _wiring_lock:
        if _wiring.creation is None or _wiring.creation.jobs is not service:
            _wiring.creation = JobCreationService(service)
        return _wiring.creation


def _cursors() -> CallerCursors:
    service = jobs()
    with _wiring_lock:
        if _wiring.cursors is None:
            _wiring.cursors = CallerCursors(service.cursors)
        return _wiring.cursors


def _job_created(job_id: str) -> None:
    hook = _wiring.on_job_created
    if hook is None:
        return
    try:
        hook(job_id)
    except Exception:
        # The job exists and the client gets it; the stall sweeper restarts what did not start.
        logger.exception("job created but its workflow did not start", extra={"job_id": job_id})


# ---------------------------------------------------------------------------------- helpers


def _caller(app: APIGatewayRestResolver) -> Caller:
    try:
        return caller_from_event(app.current_event.raw_event)
    except MissingIdentityError as error:
        raise UnauthorizedError(str(error)) from error


def _scope(caller: Caller) -> str | None:
    """The owner a job must belong to: the caller, unless the caller is an operator."""
    return None if caller.operator else caller.user_id


def _json(
    body: BodyT, status: int = HTTPStatus.OK, headers: Mapping[str, str] | None = None
) -> Response[BodyT]:
    return Response(
        status_code=int(status),
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers=dict(headers or {}),
    )


def _polled(
    representation: str, version: int, if_none_match: str | None, interval: int
) -> dict[str, str]:
    headers = caching_headers(entity_tag(representation, version), interval)
    if matches(if_none_match, headers["ETag"]):
        raise NotModifiedError(headers)
    return headers


def _summary(result: TransitionResult) -> Response[JobSummary]:
    return _json(job_summary(result.job))


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


# ----------------------------------------------------------------------------------- routes


def register_routes(app: APIGatewayRestResolver) -> None:
    """The job routes. Each is thin: caller, one service call, the reply."""

    @app.post(
        "/jobs",
        status_code=201,
        operation_id="createJob",
        summary="Create a translation job",
        tags=["jobs"],
        responses=_replies(CreateJobResponse, 403, 409, 429, ok=HTTPStatus.CREATED),
    )
    def create_job(
        body: CreateJobRequest,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                min_length=1,
                max_length=128,
                pattern=IDEMPOTENCY_KEY_PATTERN,
                description="retries with the same key and body return the same job",
            ),
        ] = None,
    ) -> Response[CreateJobResponse]:
        caller = _caller(app)
        if body.user_id is not None and body.user_id != caller.user_id:
            raise ForbiddenError("userId must be the caller's own id when it is given")
        request = body.model_copy(update={"user_id": caller.user_id})
        outcome = _creation().create(request, idempotency_key=idempotency_key)
        if outcome.created:
            _job_created(outcome.response.job_id)
        headers = {"Location": f"/jobs/{outcome.response.job_id}"}
        if not outcome.created:
            headers["Idempotent-Replayed"] = "true"
        return _json(outcome.response, HTTPStatus.CREATED, headers)

    @app.get(
        "/jobs/user/<userId>",
        operation_id="listUserJobs",
        summary="A user's jobs, newest first",
        tags=["jobs"],
        responses=_replies(UserJobsResponse, 403),
    )
    def list_user_jobs(
        user_id: Annotated[
            str, Path(alias="userId", min_length=1, max_length=128, pattern=ID_PATTERN)
        ],
        status: Annotated[
            list[JobStatus] | None,
            Query(max_length=len(JobStatus), description="repeat to ask for several"),
        ] = None,
        start_date: Annotated[AwareDatetime | None, Query(alias="startDate")] = None,
        end_date: Annotated[AwareDatetime | None, Query(alias="endDate")] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        cursor: Cursor = None,
    ) -> UserJobsResponse:
        caller = _caller(app)
        if user_id != caller.user_id and not caller.operator:
            raise ForbiddenError("only operators may list another user's jobs")
        statuses = sorted(set(status or []))
        listing = f"user-jobs:{user_id}:{','.join(statuses)}:{_iso(start_date)}:{_iso(end_date)}"
        request = UserJobsRequest(
            user_id=user_id,
            status=statuses or None,
            start_date=start_date,
            end_date=end_date,
            limit=limit,
            cursor=_cursors().open(caller, listing, cursor),
        )
        page = jobs().list_user_jobs(request)
        sealed = _cursors().seal(caller, listing, page.next_cursor)
        return page.model_copy(update={"next_cursor": sealed})

    @app.get(
        "/jobs/<jobId>",
        operation_id="getJob",
        summary="A job with its first page of chunks",
        tags=["jobs"],
        responses=_replies(JobDetailsResponse, polled=True),
    )
    def get_job(job_id: JobId, if_none_match: IfNoneMatch = None) -> Response[JobDetailsResponse]:
        caller = _caller(app)
        job = jobs().get_job(job_id, _scope(caller))
        now = utc_now()
        interval = poll_interval_seconds(
            job.status, remaining_seconds=None, rate_limited_until=job.rate_limited_until, now=now
        )
        # A 304 costs one GetItem; the chunk page is read only when the client's copy is stale.
        _polled("details", job.version, if_none_match, interval)
        details = jobs().get_job_details(job_id, _scope(caller))
        sealed = _cursors().seal(caller, f"chunks:{job_id}:", details.chunks_next_cursor)
        headers = caching_headers(entity_tag("details", details.version), interval)
        reply = details.model_copy(update={"chunks_next_cursor": sealed})
        return _json(reply, headers=headers)

    @app.get(
        "/jobs/<jobId>/chunks",
        operation_id="listChunks",
        summary="A job's chunks in index order",
        tags=["jobs"],
        responses=_replies(ChunkPage),
    )
    def list_chunks(
        job_id: JobId,
        status: Annotated[ChunkStatus | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        cursor: Cursor = None,
    ) -> ChunkPage:
        caller = _caller(app)
        listing = f"chunks:{job_id}:{status or ''}"
        job = jobs().get_job(job_id, _scope(caller))
        page = jobs().list_chunks(
            job_id,
            status=status,
            limit=limit,
            cursor=_cursors().open(caller, listing, cursor),
            job=job,
        )
        return page.model_copy(
            update={"next_cursor": _cursors().seal(caller, listing, page.next_cursor)}
        )

    @app.get(
        "/jobs/<jobId>/progress",
        operation_id="getJobProgress",
        summary="Where a job stands: the endpoint the frontend polls",
        tags=["jobs"],
        responses=_replies(JobProgressResponse, polled=True),
    )
    def get_progress(
        job_id: JobId, if_none_match: IfNoneMatch = None
    ) -> Response[JobProgressResponse]:
        progress = jobs().get_job_progress(job_id, _scope(_caller(app)))
        interval = poll_interval_seconds(
            progress.status,
            remaining_seconds=progress.estimated_time_remaining,
            rate_limited_until=progress.rate_limited_until,
            now=utc_now(),
        )
        headers = _polled("progress", progress.version, if_none_match, interval)
        return _json(progress, headers=headers)

    @app.get(
        "/jobs/<jobId>/history",
        operation_id="getJobHistory",
        summary="Every transition of a job, oldest first",
        tags=["jobs"],
        responses=_replies(JobHistoryResponse),
    )
    def get_history(job_id: JobId) -> JobHistoryResponse:
        items = jobs().get_job_history(job_id, _scope(_caller(app)))
        entries = [
            HistoryEntry(
                version=item.version,
                from_state=item.from_state,
                to_state=item.to_state,
                at=item.at,
                actor=item.actor,
                role=item.role,
                reason=item.reason,
                metadata=item.metadata,
            )
            for item in items
        ]
        return JobHistoryResponse(job_id=job_id, history=entries)

    control_errors = _replies(JobSummary, 409)

    @app.post(
        "/jobs/<jobId>/pause",
        operation_id="pauseJob",
        tags=["control"],
        summary="Pause a queued or translating job",
        responses=control_errors,
    )
    def pause(job_id: JobId) -> Response[JobSummary]:
        caller = _caller(app)
        return _summary(jobs().pause_job(job_id, caller.user_id, operator=caller.operator))

    @app.post(
        "/jobs/<jobId>/resume",
        operation_id="resumeJob",
        tags=["control"],
        summary="Resume a paused job",
        responses=control_errors,
    )
    def resume(job_id: JobId) -> Response[JobSummary]:
        caller = _caller(app)
        return _summary(jobs().resume_job(job_id, caller.user_id, operator=caller.operator))

    @app.post(
        "/jobs/<jobId>/cancel",
        operation_id="cancelJob",
        tags=["control"],
        summary="Cancel a job",
        responses=control_errors,
    )
    def cancel(job_id: JobId) -> Response[JobSummary]:
        caller = _caller(app)
        return _summary(jobs().cancel_job(job_id, caller.user_id, operator=caller.operator))

    @app.post(
        "/jobs/<jobId>/retry",
        operation_id="retryJob",
        tags=["control"],
        summary="Retry a failed job's failed chunks",
        responses=control_errors,
    )
    def retry(job_id: JobId) -> Response[JobSummary]:
        caller = _caller(app)
        result = jobs().retry_failed_chunks(job_id, caller.user_id, operator=caller.operator)
        return _summary(result)

    @app.patch(
        "/jobs/<jobId>/status",
        operation_id="setJobStatus",
        summary=f"Operators: move a job along any edge (reason up to {MAX_REASON_LENGTH})",
        tags=["control"],
        responses=_replies(JobSummary, 403, 409),
    )
    def set_status(
        job_id: JobId, body: UpdateJobStatusRequest, if_match: IfMatch = None
    ) -> Response[JobSummary]:
        caller = _caller(app)
        if not caller.operator:
            raise ForbiddenError("only operators may set a job's status")
        # An ETag from a progress or details reply pins the move to the version the operator saw.
        expected = version_of(if_match) if if_match else None
        if if_match and expected is None:
            raise ApiError("If-Match must be an ETag this API returned")
        result = jobs().set_job_status(
            job_id,
            body.status,
            actor=caller.user_id,
            reason=body.reason,
            metadata=body.metadata,
            expected_version=expected,
        )
        return _summary(result)


# ------------------------------------------------------------------------------- entry point


def build_app() -> APIGatewayRestResolver:
    """A resolver with every route and the error mapping.

    Powertools keeps the request being answered on its router class, so one process answers
    one event at a time, as a Lambda instance does.
    """
    # A reply that breaks its own model is our bug: a 500 and a log line, never a client's 422.
    resolver = APIGatewayRestResolver(
        enable_validation=True, response_validation_error_http_code=HTTPStatus.INTERNAL_SERVER_ERROR
    )
    http_errors.install(resolver)
    register_routes(resolver)
    for module_name in ROUTE_MODULES:
        importlib.import_module(module_name).register_routes(resolver)
    return resolver


def _proxy_error(status: int, code: str, message: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": http_errors.error_body(code, message),
        "isBase64Encoded": False,
    }


def _body_size(event: Mapping[str, Any]) -> int:
    body = str(event.get("body") or "")
    if event.get("isBase64Encoded"):
        return len(body) * 3 // 4  # decoding a body only to weigh it would cost what we refuse
    return len(body.encode())


def _is_json(event: Mapping[str, Any]) -> bool:
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    media_type = headers.get("content-type", "application/json").split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def handle(resolver: APIGatewayRestResolver, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer one REST proxy event with `resolver`; the Lambda and the local service share it."""
    request_id = (event.get("requestContext") or {}).get("requestId")
    logger.thread_safe_append_keys(correlation_id=request_id)
    job = _JOB_PATH.match(str(event.get("path") or ""))
    if job:
        logger.thread_safe_append_keys(job_id=job.group(1))
    try:
        if _body_size(event) > MAX_BODY_BYTES:
            message = f"the body is larger than {MAX_BODY_BYTES} bytes"
            return _proxy_error(413, "PAYLOAD_TOO_LARGE", message)
        try:
            caller_from_event(event)
        except MissingIdentityError as error:
            return _proxy_error(401, "UNAUTHORIZED", str(error))
        if event.get("body") and not _is_json(event):
            message = "send the body as application/json"
            return _proxy_error(415, "UNSUPPORTED_MEDIA_TYPE", message)
        result: dict[str, Any] = resolver.resolve(event, context)
        return result
    finally:
        logger.thread_safe_clear_keys()


app = build_app()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(app, event, context)


def openapi_document() -> str:
    """The OpenAPI description of this API, as committed in docs/openapi.json."""
    schema = build_app().get_openapi_json_schema(
        title="jobstate API",
        version="1",
        description=(
            "Job state of the document translation service. Every error is "
            '{"error": {"code", "message", "details"}}.'
        ),
        security_schemes={
            "cognito": HTTPBearer(
                bearerFormat="JWT",
                description="a Cognito ID token (locally: `jobstate token USER_ID`)",
            )
        },
        security=[{"cognito": []}],
    )
    document = json.loads(schema)
    # Powertools documents its own body for response-validation failures; they are answered
    # with the error envelope like every other error.
    envelope = {"content": {"application/json": {"schema": {"$ref": _ENVELOPE_REF}}}}
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"]["500"] = {"description": "Internal Server Error", **envelope}
            operation["responses"].get("304", {}).pop("content", None)
    schemas = document["components"]["schemas"]
    for unused in ("ResponseValidationError", "HTTPValidationError", "ValidationError"):
        if f'"#/components/schemas/{unused}"' not in json.dumps(document["paths"]):
            schemas.pop(unused, None)
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
