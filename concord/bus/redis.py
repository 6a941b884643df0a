"""Redis pub/sub bus (redis-py asyncio).

Redis pub/sub is fire-and-forget: a subscriber that is reconnecting misses what was published in
the meantime. That loses nothing here, because the message is only "events up to id N exist" and
the reader catches up from the events table (see `concord.bus._remote`).
"""

from __future__ import annotations

from collections.abc import Callable

import redis.asyncio as aioredis

from concord.bus._remote import RemoteBus, split_channel

DEFAULT_CHANNEL = "concord.events"


class RedisBus(RemoteBus):
    def __init__(self, url: str) -> None:
        super().__init__()
        self._url, self.channel = split_channel(url, DEFAULT_CHANNEL)
        if not self.channel:
            raise ValueError("channel must not be empty")
        self._client: aioredis.Redis | None = None

    async def _open(self) -> None:
        client = aioredis.Redis.from_url(
            self._url,
            socket_connect_timeout=self.connect_timeout,
            health_check_interval=15,  # notices a silently dead subscription connection
            client_name=f"concord-bus:{self.channel}",
        )
        try:
            await client.ping()  # fail fast at start-up when the server is unreachable
        except Exception:
            await client.aclose()
            raise
        self._client = client

    async def _listen(self, subscribed: Callable[[], None]) -> None:
        assert self._client is not None
        pubsub = self._client.pubsub()
        try:
            await pubsub.subscribe(self.channel)
            # Only the server's confirmation says that later publishes will reach us.
            while True:
                reply = await pubsub.get_message(timeout=self.connect_timeout)
                if reply is None:
                    raise ConnectionError("Redis did not confirm the subscription")
                if reply.get("type") == "subscribe":
                    break
            subscribed()
            while True:
                # A timeout lets the health check run on an idle connection.
                message = await pubsub.get_message(timeout=5.0)
                if message is not None and message.get("type") == "message":
                    self._received(message["data"])
        finally:
            await pubsub.aclose()

    async def _send(self, event_id: int) -> None:
        assert self._client is not None
        await self._client.publish(self.channel, str(event_id))

    async def _close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
