"""A real server (uvicorn in a thread) and WebSocket clients with timeouts, for the realtime tests.

Starlette's TestClient WebSocket has no receive timeout, so a missing event would hang a test;
these clients fail after a few seconds instead.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import httpx
import uvicorn
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from concord.centre import Centre


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(centre: Centre, *, shared_frames: bool = True) -> Iterator[str]:
    """`shared_frames`: serve WebSockets as `concord serve` does (the shared fan-out path), or
    with plain uvicorn (every connection on its own queue, as under any other ASGI server)."""
    from concord.api.ws.server import ConcordWebSocketProtocol
    from concord.app import create_app

    port = free_port()
    config = uvicorn.Config(create_app(centre=centre), host="127.0.0.1", port=port, log_level="warning",
                            ws=ConcordWebSocketProtocol if shared_frames else "websockets-sansio",
                            ws_per_message_deflate=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def sign_in(address: str, username: str, password: str) -> str:
    response = httpx.post(f"http://{address}/api/session", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


class Api:
    def __init__(self, address: str, token: str) -> None:
        self.http = httpx.Client(base_url=f"http://{address}", headers={"Authorization": f"Bearer {token}"},
                                 timeout=10)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.http.post(url, **kw)

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.http.get(url, **kw)

    def say(self, channel_id: int, body: str, precedence: str = "ROUTINE",
            marking: dict[str, Any] | None = None) -> dict[str, Any]:
        marking = marking or {"level": "RESTRICTED", "releasable_to": ["TUR", "IRQ"], "tlp": "AMBER"}
        response = self.post(f"/api/channels/{channel_id}/messages",
                             json={"body": body, "precedence": precedence, "marking": marking})
        assert response.status_code == 201, response.text
        return dict(response.json())


class Socket:
    """One WebSocket client speaking the /api/ws protocol."""

    def __init__(self, address: str, token: str | None, *, last_event_id: int | None = None,
                 received_after: list[int] | None = None, hello: bool = True,
                 headers: dict[str, str] | None = None) -> None:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        self.ws: ClientConnection = connect(f"ws://{address}/api/ws", additional_headers=all_headers,
                                            open_timeout=10, max_size=None, legacy=True)
        self.welcome: dict[str, Any] | None = None
        # `presence` frames arrive whenever someone comes or goes; `recv` sets them aside here.
        self.presence: list[dict[str, Any]] = []
        if hello:
            frame: dict[str, Any] = {"type": "hello", "last_event_id": last_event_id}
            if received_after:
                frame["received_after"] = received_after
            self.send(frame)
            self.welcome = self.recv()
            assert self.welcome["type"] == "welcome", self.welcome

    def send(self, frame: dict[str, Any] | str) -> None:
        self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next frame other than `presence` (those go to `self.presence`)."""
        deadline = time.monotonic() + timeout
        while True:
            frame = dict(json.loads(self.ws.recv(timeout=max(0.0, deadline - time.monotonic()))))
            if frame.get("type") != "presence":
                return frame
            self.presence.append(frame)

    def presence_until(self, person_id: int, online: bool, timeout: float = 15.0) -> list[dict[str, Any]]:
        """Presence changes received until one says `person_id` is `online` (or AssertionError)."""
        changes: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            while self.presence:
                frame = self.presence.pop(0)
                assert not frame.get("reload"), frame
                changes.extend(frame["changes"])
                if any(c["person_id"] == person_id and c["online"] is online for c in frame["changes"]):
                    return changes
            if time.monotonic() > deadline:
                raise AssertionError(f"no presence change {person_id} → {online}; got {changes}")
            with suppress(TimeoutError):
                self.recv(max(0.01, deadline - time.monotonic()))  # other frames (pings) are not looked at

    def events(self, count: int, timeout: float = 10.0, kinds: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        """The next `count` event frames (skipping pings and, if given, other kinds)."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            frame = self.recv(max(0.01, deadline - time.monotonic()))
            if frame["type"] == "event" and (kinds is None or frame["event"]["kind"] in kinds):
                got.append(frame)
        return got

    def quiet(self, seconds: float = 0.5) -> list[dict[str, Any]]:
        """Frames that arrive within `seconds` (normally none)."""
        frames = []
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                frames.append(self.recv(max(0.01, deadline - time.monotonic())))
        except TimeoutError:
            pass
        return frames

    def closed(self, timeout: float = 10.0) -> tuple[int | None, str | None, list[dict[str, Any]]]:
        """Wait for the server to close; the close code, reason and the frames before it."""
        frames = []
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                frames.append(self.recv(max(0.01, deadline - time.monotonic())))
        except ConnectionClosed as closed:
            rcvd = closed.rcvd
            return (rcvd.code if rcvd else None), (rcvd.reason if rcvd else None), frames
        raise AssertionError(f"the server did not close the connection; got {frames}")

    def close(self) -> None:
        self.ws.close()
