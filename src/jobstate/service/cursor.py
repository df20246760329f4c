"""Opaque, signed page cursors. A cursor names where a page ended and whom it was issued to;
a changed, truncated or borrowed cursor fails verification instead of yielding another page."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from typing import Any

from jobstate.errors import InvalidRequestError

CURSOR_SECRET_ENV = "JOBSTATE_CURSOR_SECRET"


class InvalidCursorError(InvalidRequestError):
    code = "INVALID_CURSOR"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    def __init__(self, secret: bytes | None = None) -> None:
        configured = os.environ.get(CURSOR_SECRET_ENV)
        # Limitation: without JOBSTATE_CURSOR_SECRET each process signs with its own random key,
        # so a cursor only works on the process that issued it. Deployments set the variable.
        self._secret = secret or (configured.encode() if configured else secrets.token_bytes(32))

    def encode(self, scope: str, position: dict[str, Any]) -> str:
        body = json.dumps({"s": scope, "p": position}, separators=(",", ":"), sort_keys=True)
        payload = body.encode()
        signature = hmac.new(self._secret, payload, hashlib.sha256).digest()[:16]
        return f"{_b64(payload)}.{_b64(signature)}"

    def decode(self, scope: str, cursor: str) -> dict[str, Any]:
        try:
            payload_text, signature_text = cursor.split(".", 1)
            payload = _unb64(payload_text)
            signature = _unb64(signature_text)
        except (ValueError, TypeError) as error:
            raise InvalidCursorError("cursor is malformed") from error
        expected = hmac.new(self._secret, payload, hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(signature, expected):
            raise InvalidCursorError("cursor is not valid")
        data = json.loads(payload)
        if data.get("s") != scope or not isinstance(data.get("p"), dict):
            raise InvalidCursorError("cursor was issued for another listing")
        position: dict[str, Any] = data["p"]
        return position
