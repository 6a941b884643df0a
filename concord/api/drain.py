"""Draining on SIGTERM, so a process leaves a balanced cluster without losing anything.

1. The signal turns `/readyz` to 503 `{"status": "draining"}` at once; the process keeps serving,
   for `CONCORD_DRAIN_SECONDS`, while the balancer's health check notices and sends new work to
   the other processes (HAProxy: `inter` times `fall`, see scripts/cluster).
2. Then every `/api/ws` session is closed with 1001 (going away: reconnect and resume) and a
   `closing` frame carrying its resume point (docs/websocket.md); a client reconnects through the
   balancer to another process and resumes exactly.
3. Once the sessions are gone (or after 5 s), uvicorn's own graceful shutdown runs: it stops
   accepting connections and finishes the requests in flight before the lifespan stops the centre.

A second signal skips what is left of the wait (a second Ctrl-C forces the exit, as in uvicorn).
"""

from __future__ import annotations

import asyncio
import logging
import time
from types import FrameType

import uvicorn

log = logging.getLogger("concord.drain")

#: How long the sessions get to send their closing frames before the server stops anyway.
CLOSE_SECONDS = 5.0


class Drain:
    """The drain state of one served app (`app.state.drain`)."""

    def __init__(self) -> None:
        self.draining = False
        #: Set when the WebSocket sessions must close (step 2).
        self.closing = asyncio.Event()
        #: Open `/api/ws` sessions.
        self.sockets = 0


class DrainingServer(uvicorn.Server):
    """uvicorn's server with step 1 and 2 above put before its own shutdown."""

    def __init__(self, config: uvicorn.Config, drain: Drain, hold_seconds: float) -> None:
        super().__init__(config)
        self.drain = drain
        self.hold_seconds = hold_seconds
        self._began: float | None = None
        self._closing_since: float | None = None
        self._said = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # A signal handler: only flags here; the work is done by `on_tick` in the event loop.
        if self._began is None:
            self.drain.draining = True
            self._began = time.monotonic()
        else:
            super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        if self._began is not None and not self.should_exit:
            now = time.monotonic()
            if not self._said:
                self._said = True
                log.info("draining: not ready; closing WebSockets in %.1f s, then stopping", self.hold_seconds)
            if now - self._began >= self.hold_seconds and self._closing_since is None:
                self._closing_since = now
                self.drain.closing.set()
            if self._closing_since is not None and (self.drain.sockets == 0
                                                    or now - self._closing_since >= CLOSE_SECONDS):
                self.should_exit = True
        return await super().on_tick(counter)
