"""What API Gateway does in front of the Lambda, done locally: an HTTP request becomes a REST
proxy event (claims where the Cognito authorizer puts them) and the Lambda's reply becomes an
HTTP response."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

LOCAL_STAGE = "local"


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def proxy_event(
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    claims: Mapping[str, str] | None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """The event API Gateway (REST, proxy integration) sends for this request."""
    parts = urlsplit(target)
    path = unquote(parts.path) or "/"
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        single[name] = value  # API Gateway keeps the last value of a repeated header
        multi.setdefault(name, []).append(value)
    query: dict[str, list[str]] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        query.setdefault(name, []).append(value)
    text: str | None
    encoded = False
    if not body:
        text = None
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode("ascii"), True
    authorizer: dict[str, Any] = {"claims": dict(claims)} if claims is not None else {}
    now_ms = int(time.time() * 1000)
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method.upper(),
        "headers": single or None,
        "multiValueHeaders": multi or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method.upper(),
            "path": f"/{LOCAL_STAGE}{path}",
            "stage": LOCAL_STAGE,
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": now_ms,
            "protocol": "HTTP/1.1",
            "accountId": "000000000000",
            "apiId": "local",
            "identity": {"sourceIp": source_ip, "userAgent": single.get("User-Agent")},
            "authorizer": authorizer,
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


def http_reply(result: Mapping[str, Any]) -> HttpReply:
    """The HTTP response for a Lambda proxy reply (single- or multi-value headers)."""
    headers: list[tuple[str, str]] = []
    multi = result.get("multiValueHeaders") or {}
    for name, values in multi.items():
        headers.extend((name, str(v)) for v in values)
    for name, value in (result.get("headers") or {}).items():
        if name not in multi:
            headers.append((name, str(value)))
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    return HttpReply(int(result.get("statusCode", 502)), headers, body)
