"""Who is calling, taken from the claims API Gateway's Cognito authorizer verified, and page
cursors bound to that caller so nobody else's cursor opens a page."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jobstate.service.cursor import CursorCodec, InvalidCursorError

OPERATOR_GROUP = "operators"
_USER_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")


class MissingIdentityError(Exception):
    """No verified caller in the request context."""


@dataclass(frozen=True)
class Caller:
    user_id: str
    operator: bool


def _groups(raw: Any) -> set[str]:
    # REST APIs pass every claim as a string; a list claim arrives as "a,b" or "[a, b]".
    if isinstance(raw, list):
        return {str(g).strip() for g in raw}
    if not isinstance(raw, str):
        return set()
    return {g.strip() for g in raw.strip("[]").replace(" ", ",").split(",") if g.strip()}


def caller_from_event(event: Mapping[str, Any]) -> Caller:
    """The caller named by `requestContext.authorizer.claims` (never by a body or path)."""
    claims: Any = event.get("requestContext")
    for step in ("authorizer", "claims"):
        claims = claims.get(step) if isinstance(claims, Mapping) else None
    if not isinstance(claims, Mapping):
        raise MissingIdentityError("no verified identity")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not _USER_ID.match(subject):
        raise MissingIdentityError("the identity has no usable subject")
    return Caller(user_id=subject, operator=OPERATOR_GROUP in _groups(claims.get("cognito:groups")))


class CallerCursors:
    """Wraps the service's cursors in a second signature over the caller and the listing.

    The service binds a cursor to what it lists; this binds it also to who asked and with
    which filters, so a cursor issued to one caller, or for other filters, is refused.
    """

    def __init__(self, codec: CursorCodec) -> None:
        self._codec = codec

    @staticmethod
    def _scope(caller: Caller, listing: str) -> str:
        return f"api:{caller.user_id}:{listing}"

    def seal(self, caller: Caller, listing: str, inner: str | None) -> str | None:
        if inner is None:
            return None
        return self._codec.encode(self._scope(caller, listing), {"c": inner})

    def open(self, caller: Caller, listing: str, outer: str | None) -> str | None:
        if not outer:
            return None
        inner = self._codec.decode(self._scope(caller, listing), outer).get("c")
        if not isinstance(inner, str):
            raise InvalidCursorError("cursor is not valid")
        return inner
