"""The event bus: it carries only "events up to id N exist", never the events themselves.

Subscribers (WebSocket sessions, CoT clients, other server processes) read the new rows from the
events table through the releasability filter, so what is delivered is always what the policy
allows and a reconnecting client resumes from its last id without loss.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Protocol


class EventBus(Protocol):
    """A bus implementation. `publish` is thread-safe and never blocks the caller."""

    @property
    def latest(self) -> int: ...

    @property
    def connected(self) -> bool:
        """True while the bus reaches its server (always, for the in-process bus): `/readyz`."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def publish(self, event_id: int) -> None:
        """Announce that events up to `event_id` are committed."""

    async def wait_beyond(self, event_id: int, timeout: float) -> int:
        """Wait until an event with id > `event_id` is announced (or `timeout` passes); return `latest`."""


class LocalNotifier:
    """Wakes this process's waiters when a higher event id is announced.

    Every bus uses one: the in-process bus feeds it from `publish`, the cross-process buses feed it
    from their transport as well. Safe to call `announce` from any thread.
    """

    def __init__(self) -> None:
        self._latest = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None

    @property
    def latest(self) -> int:
        return self._latest

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._changed = asyncio.Event()

    def unbind(self) -> None:
        self._loop = None
        self._changed = None

    def announce(self, event_id: int) -> None:
        with self._lock:
            if event_id <= self._latest:
                return
            self._latest = event_id
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake()
        else:
            loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = asyncio.Event()

    async def wait_beyond(self, event_id: int, timeout: float) -> int:
        if self._latest > event_id or self._changed is None:
            return self._latest
        changed = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout)
        return self._latest
