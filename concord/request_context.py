"""The id of the request being handled, for records written deep below the adapters (audit entries).

Set by the HTTP middleware for each request; worker threads that run sync routes inherit it, since
Starlette copies the context into them. Outside a request it is None.
"""

from __future__ import annotations

from contextvars import ContextVar

current_request_id: ContextVar[str | None] = ContextVar("concord_request_id", default=None)
