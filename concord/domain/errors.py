"""Domain errors. They carry a stable machine code and a message naming the field or rule, and no
HTTP. `RENDERING` is the one table of what each code becomes in each adapter (an HTTP status, a
TAXII status, a WebSocket close code, a CLI exit status); the adapters render from it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Code(StrEnum):
    INVALID = "invalid"                    # a field is malformed or out of range
    NOT_FOUND = "not_found"                # also for items the caller may not see
    CONFLICT = "conflict"                  # state does not allow the action (e.g. stale version)
    FORBIDDEN = "forbidden"                # the caller's role/appointment does not allow the action
    UNAUTHENTICATED = "unauthenticated"
    THROTTLED = "throttled"
    TOO_LARGE = "too_large"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class Rendering:
    """What one code becomes at each edge."""

    http: int  # status of the REST API (`concord.api.errors`)
    taxii: int  # status of the TAXII 2.1 server (§3.6: a malformed request is 400, not 422)
    #: Close code when this failure ends a `/api/ws` connection (docs/websocket.md); None: it never
    #: ends one (inside a session it is answered with an `error` frame naming the code).
    ws_close: int | None
    cli_exit: int  # exit status of the `concord` command


RENDERING: dict[Code, Rendering] = {
    Code.INVALID: Rendering(http=422, taxii=400, ws_close=4400, cli_exit=2),
    Code.NOT_FOUND: Rendering(http=404, taxii=404, ws_close=None, cli_exit=3),
    Code.CONFLICT: Rendering(http=409, taxii=409, ws_close=4409, cli_exit=4),
    Code.FORBIDDEN: Rendering(http=403, taxii=403, ws_close=4403, cli_exit=5),
    Code.UNAUTHENTICATED: Rendering(http=401, taxii=401, ws_close=4401, cli_exit=6),
    Code.THROTTLED: Rendering(http=429, taxii=429, ws_close=4429, cli_exit=7),
    Code.TOO_LARGE: Rendering(http=413, taxii=413, ws_close=4400, cli_exit=8),
    Code.UNAVAILABLE: Rendering(http=503, taxii=503, ws_close=1001, cli_exit=9),
}


class ConcordError(Exception):
    code: Code = Code.INVALID

    def __init__(self, message: str, *, field: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = dict(details or {})
        if field is not None:
            self.details.setdefault("field", field)


class Invalid(ConcordError):
    code = Code.INVALID


class NotFound(ConcordError):
    """The item does not exist, or the caller may not see it: callers cannot tell which."""

    code = Code.NOT_FOUND


class StateConflict(ConcordError):
    code = Code.CONFLICT


class Forbidden(ConcordError):
    """The caller may see the item but their role or appointment does not allow the action."""

    code = Code.FORBIDDEN


class Unauthenticated(ConcordError):
    code = Code.UNAUTHENTICATED


class Throttled(ConcordError):
    code = Code.THROTTLED

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


class TooLarge(ConcordError):
    code = Code.TOO_LARGE
