"""The body limit on bodies without a Content-Length: counted as the app reads, never held back."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from concord.api.middleware import BodyLimit

CHUNK = b"x" * 1024


class Reader:
    """An app that reads its whole body, noting how far the client had sent when each piece arrived."""

    def __init__(self) -> None:
        self.seen_at: list[int] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            self.seen_at.append(sent[0])
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


sent = [0]


def _run(app: Any, pieces: int, limit: int) -> list[Message]:
    sent[0] = 0
    replies: list[Message] = []

    async def receive() -> Message:
        sent[0] += 1
        return {"type": "http.request", "body": CHUNK, "more_body": sent[0] < pieces}

    async def send(message: Message) -> None:
        replies.append(message)

    scope = {"type": "http", "path": "/api/messages", "headers": [(b"transfer-encoding", b"chunked")]}
    asyncio.run(BodyLimit(app, limit=limit)(scope, receive, send))
    return replies


def test_a_chunked_body_within_the_limit_streams_through() -> None:
    app = Reader()
    replies = _run(app, pieces=50, limit=100 * 1024)
    assert replies[0]["status"] == 200
    assert app.seen_at == list(range(1, 51))  # each piece reached the app as it came, none held back


def test_a_chunked_body_over_the_limit_stops_at_the_limit_with_413() -> None:
    app = Reader()
    replies = _run(app, pieces=1000, limit=10 * 1024)
    assert replies[0]["status"] == 413
    body = json.loads(replies[1]["body"])
    assert body["error"]["code"] == "too_large" and body["error"]["details"]["limit"] == 10 * 1024
    assert sent[0] == 11  # the read that crossed the limit was the last one
