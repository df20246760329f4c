"""REST proxy events as API Gateway sends them (claims as strings), and helpers that send them
to `jobstate.handlers.api.handler`."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from jobstate import JobStateManager, JobStatus, StateTransitionContext
from jobstate.handlers import api

S = JobStatus
TO_QUEUED = [(S.CREATED, S.VALIDATING), (S.VALIDATING, S.VALIDATED), (S.VALIDATED, S.QUEUED)]


def document(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "documentId": "doc-1",
        "filename": "novel.docx",
        "targetLanguage": "es",
        "documentMetadata": {"wordCount": 3000, "fileSize": 64000, "contentHash": "sha256:abc123"},
    }
    body.update(overrides)
    return body


def rest_event(
    method: str,
    path: str,
    *,
    user: str | None = "alice",
    operator: bool = False,
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: dict[str, list[str]] | None = None,
    raw_body: str | None = None,
) -> dict[str, Any]:
    """A REST API proxy event with a Cognito authorizer's claims, every value a string."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    claims: dict[str, str] | None = None
    if user is not None:
        claims = {
            "sub": user,
            "email": f"{user}@example.com",
            "token_use": "id",
            "auth_time": "1764750000",
            "exp": "Thu Dec 03 23:59:59 UTC 2099",
        }
        if operator:
            claims["cognito:groups"] = "translators,operators"
    text = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in (query or {}).items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": str(uuid.uuid4()),
            "accountId": "123456789012",
            "identity": {"sourceIp": "203.0.113.7"},
            "authorizer": {"claims": claims} if claims is not None else {},
        },
        "body": text,
        "isBase64Encoded": False,
    }


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def body(self) -> Any:
        return json.loads(self.text)

    @property
    def error_code(self) -> str:
        return str(self.body["error"]["code"])


def call(method: str, path: str, **options: Any) -> Reply:
    result = api.handler(rest_event(method, path, **options), None)
    headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = str(values[-1])
    return Reply(int(result["statusCode"]), headers, result.get("body") or "")


def create(user: str = "alice", **overrides: Any) -> str:
    reply = call("POST", "/jobs", user=user, body=document(**overrides))
    assert reply.status == 201, reply.text
    return str(reply.body["jobId"])


def advance(manager: JobStateManager, job_id: str, path: list[tuple[S, S]]) -> None:
    for source, target in path:
        manager.transition_job_state(
            job_id, source, target, StateTransitionContext(reason="pipeline")
        )
