"""Local stand-in for the Cognito authorizer: HS256 tokens signed with a secret on this machine,
and the claims in the form API Gateway hands them to the Lambda (every value a string)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from jobstate.handlers.access import OPERATOR_GROUP

LOCAL_SECRET_ENV = "JOBSTATE_LOCAL_SECRET"
LOCAL_DIR_ENV = "JOBSTATE_LOCAL_DIR"
DEFAULT_LOCAL_DIR = ".jobstate"
SECRET_FILE = "local-secret"
TOKEN_TTL_SECONDS = 12 * 3600
ISSUER = "jobstate-local"


class InvalidTokenError(Exception):
    """The token is missing, malformed, badly signed or expired."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def local_secret(env: Mapping[str, str] | None = None) -> bytes:
    """$JOBSTATE_LOCAL_SECRET, else a secret generated once and kept under .jobstate/."""
    source = os.environ if env is None else env
    configured = source.get(LOCAL_SECRET_ENV)
    if configured:
        return configured.encode()
    folder = Path(source.get(LOCAL_DIR_ENV) or DEFAULT_LOCAL_DIR)
    path = folder / SECRET_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    return path.read_text().strip().encode()


def derived_key(secret: bytes, purpose: str) -> bytes:
    """A key for another purpose (signing cursors) that reveals nothing about `secret`."""
    return hmac.new(secret, purpose.encode(), hashlib.sha256).digest()


def issue_token(
    user_id: str,
    secret: bytes,
    *,
    operator: bool = False,
    now: datetime,
    ttl_seconds: int = TOKEN_TTL_SECONDS,
) -> str:
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "sub": user_id,
        "iss": ISSUER,
        "token_use": "id",
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    if operator:
        claims["cognito:groups"] = [OPERATOR_GROUP]
    header = {"alg": "HS256", "typ": "JWT"}
    signing_input = ".".join(
        _b64(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def verify_token(token: str, secret: bytes, *, now: datetime) -> dict[str, Any]:
    """The token's claims, or InvalidTokenError. Only HS256 is accepted (never `none`)."""
    try:
        header_text, claims_text, signature_text = token.split(".")
        header = json.loads(_unb64(header_text))
        signature = _unb64(signature_text)
    except (ValueError, TypeError) as error:
        raise InvalidTokenError("the token is malformed") from error
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise InvalidTokenError("the token must be signed with HS256")
    expected = hmac.new(secret, f"{header_text}.{claims_text}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        raise InvalidTokenError("the token's signature is not valid")
    try:
        claims = json.loads(_unb64(claims_text))
    except (ValueError, TypeError) as error:
        raise InvalidTokenError("the token is malformed") from error
    if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str):
        raise InvalidTokenError("the token names no subject")
    expires = claims.get("exp")
    if not isinstance(expires, int) or expires <= int(now.timestamp()):
        raise InvalidTokenError("the token has expired")
    return claims


def authorizer_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as a REST API's Cognito authorizer passes them: strings, lists comma-joined."""
    flat: dict[str, str] = {}
    for name, value in claims.items():
        if isinstance(value, list):
            flat[name] = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            flat[name] = "true" if value else "false"
        else:
            flat[name] = str(value)
    return flat


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise InvalidTokenError("send Authorization: Bearer <token> (see `jobstate token`)")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidTokenError("the Authorization header must be `Bearer <token>`")
    return token.strip()
