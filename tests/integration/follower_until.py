"""Run one follower of the event log in a worker process until it has got to a position, then say
`DONE errors=N` (the worker processes the kill tests start: durable_follower_worker, intel_index_worker)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from concord.bus.base import EventBus
from concord.bus.inprocess import InProcessBus
from concord.services.follow import Follower


def follow_until(make: Callable[[EventBus], Follower], last: int) -> None:
    async def run() -> None:
        bus = InProcessBus()
        await bus.start()
        follower = make(bus)
        task = asyncio.create_task(follower.run())
        while follower.position is None or follower.position < last:
            await asyncio.sleep(0.02)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bus.stop()
        print(f"DONE errors={follower.errors}", flush=True)

    asyncio.run(run())
