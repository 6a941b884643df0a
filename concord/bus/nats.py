"""NATS bus (nats-py core publish/subscribe; JetStream is not needed for an id broadcast).

nats-py reconnects by itself and re-subscribes after a reconnect; ids published while the
connection is down wait in its pending buffer. A notification missed during the gap loses nothing
(see `concord.bus._remote`), so the bus only has to keep reconnecting for ever.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg

from concord.bus._remote import RemoteBus, split_channel

log = logging.getLogger(__name__)

DEFAULT_SUBJECT = "concord.events"
_SUBJECT = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")


class NatsBus(RemoteBus):
    def __init__(self, url: str) -> None:
        super().__init__()
        self._url, self.channel = split_channel(url, DEFAULT_SUBJECT)
        if not _SUBJECT.match(self.channel):
            raise ValueError(f"subject {self.channel!r}: use letters, digits, _ and - tokens joined by dots")
        self._client: Client | None = None
        self._lost: asyncio.Event | None = None

    @property
    def connected(self) -> bool:
        client = self._client
        return super().connected and client is not None and client.is_connected

    async def _open(self) -> None:
        self._lost = asyncio.Event()

        async def on_error(exc: Exception) -> None:
            log.warning("NatsBus: %s", exc)

        async def on_closed() -> None:
            # Only after reconnection was given up (or at stop): let the supervisor start over.
            if self._lost is not None:
                self._lost.set()

        self._client = await nats.connect(
            self._url,
            name=f"concord-bus:{self.channel}",
            connect_timeout=max(1, int(self.connect_timeout)),
            allow_reconnect=True,
            max_reconnect_attempts=-1,  # for ever
            reconnect_time_wait=self.max_retry_delay,
            ping_interval=10,
            max_outstanding_pings=2,
            error_cb=on_error,
            closed_cb=on_closed,
        )

    async def _listen(self, subscribed: Callable[[], None]) -> None:
        client, lost = self._client, self._lost
        if client is None or client.is_closed or lost is None:
            await self._open()
            client, lost = self._client, self._lost
        assert client is not None and lost is not None

        async def on_message(msg: Msg) -> None:
            self._received(msg.data)

        subscription = await client.subscribe(self.channel, cb=on_message)
        await client.flush()  # the server has registered the subscription
        subscribed()
        try:
            await lost.wait()
        finally:
            if not client.is_closed:
                await subscription.unsubscribe()
        raise ConnectionError("NATS connection closed")

    async def _send(self, event_id: int) -> None:
        client = self._client
        if client is None or client.is_closed:
            raise ConnectionError("NATS connection closed")
        await client.publish(self.channel, str(event_id).encode("ascii"))

    async def _close(self) -> None:
        client, self._client = self._client, None
        if client is not None and not client.is_closed:
            await client.close()
