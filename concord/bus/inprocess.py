"""The embedded default bus: one process, no server."""

from __future__ import annotations

import asyncio

from concord.bus.base import LocalNotifier


class InProcessBus:
    def __init__(self) -> None:
        self._notifier = LocalNotifier()

    @property
    def latest(self) -> int:
        return self._notifier.latest

    @property
    def connected(self) -> bool:
        return True

    async def start(self) -> None:
        self._notifier.bind(asyncio.get_running_loop())

    async def stop(self) -> None:
        self._notifier.unbind()

    def publish(self, event_id: int) -> None:
        self._notifier.announce(event_id)

    async def wait_beyond(self, event_id: int, timeout: float) -> int:
        return await self._notifier.wait_beyond(event_id, timeout)
