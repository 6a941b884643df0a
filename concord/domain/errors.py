"""Domain errors. They carry a stable machine code and a message naming the field or rule, and no
HTTP: `concord.api.errors` maps each code to a status, a TAXII error body, a WebSocket close code
and a CLI exit status in one place."""

from __future__ import annotations

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
