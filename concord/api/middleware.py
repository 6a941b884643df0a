"""ASGI middleware: body size limit, request ids, JSON access log, Prometheus metrics."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from concord.api.errors import error_body
from concord.request_context import current_request_id

access_log = logging.getLogger("concord.access")


class Metrics:
    """Per-app registry: two apps in one process (tests) never share counters."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("concord_http_requests", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("concord_http_request_seconds", "HTTP request latency", ["method", "route"],
                                 registry=self.registry)


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]})
    await send({"type": "http.response.body", "body": raw})


class BodyLimit:
    """Refuse request bodies over `limit` bytes with 413, before any handler sees them."""

    def __init__(self, app: ASGIApp, limit: int, exempt: tuple[str, ...] = (),
                 wider: tuple[tuple[str, int], ...] = ()) -> None:
        self.app = app
        self.limit = limit
        # Paths that enforce their own limit and error format (TAXII: max_content_length, §4.2).
        self.exempt = exempt
        # (path pattern, limit): routes that take files (message attachments) get their own limit.
        self.wider = [(re.compile(pattern), wide) for pattern, wide in wider]

    def limit_for(self, path: str) -> int:
        return next((wide for pattern, wide in self.wider if pattern.match(path)), self.limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        too_large = error_body("too_large", f"the request body is larger than {limit} bytes", {"limit": limit})
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await _send_json(send, 400, error_body("invalid", "bad Content-Length header"))
                return
            if size > limit:
                await _send_json(send, 413, too_large)
                return
            await self.app(scope, receive, send)
            return
        # No Content-Length (chunked): count the body as the app reads it, and stop the read that
        # crosses the limit. Nothing is held here, so a chunked upload costs no more memory than one
        # that declared its size; handlers read their body before they write, so none has written.
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not started:  # the app's own handler renders it as JSON; this is for any other reader
                await _send_json(send, 413, too_large)


class BodyTooLarge(HTTPException):
    """A chunked body crossed its limit while being read. An HTTPException, so that FastAPI's body
    parsing passes it on (it turns other errors into 400) and the app renders it as 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")
        self.limit = limit


#: For documents that set no policy of their own (SITREP, public page, JSON): no script at all.
DOCUMENT_CSP = ("default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self'; "
                "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
DATA_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"


class SecurityHeaders:
    """Security headers on every HTTP response that does not set its own: nosniff, no referrer, no
    framing, a content security policy with no script for documents and none at all for data, and
    HSTS when the centre is served over TLS (secure cookies on)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.defaults = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if hsts:
            self.defaults.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in self.defaults if name not in present]
                if b"content-security-policy" not in present:
                    media = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                    policy = DOCUMENT_CSP if media.startswith(b"text/html") else DATA_CSP
                    headers.append((b"content-security-policy", policy.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class RequestContext:
    """A request id on every request and response, one JSON access-log line, and metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        current_request_id.set(request_id)  # for audit entries written by the services below
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(scope["method"], route).observe(elapsed)
            access_log.info("request", extra={"request_id": request_id, "method": scope["method"],
                                              "path": scope["path"], "route": route, "status": status,
                                              "ms": round(elapsed * 1000, 2)})
