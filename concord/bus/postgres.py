"""PostgreSQL LISTEN/NOTIFY bus (psycopg 3, async).

One connection LISTENs; a second one sends `pg_notify(channel, id)`. PostgreSQL delivers a
notification only to sessions that were listening when it was committed, so notifications sent
while the listener reconnects are lost: harmless here, the next id or the reader's poll of the
events table covers them (see `concord.bus._remote`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import psycopg
from psycopg import sql

from concord.bus._remote import RemoteBus, split_channel

DEFAULT_CHANNEL = "concord_events"
_CHANNEL = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def libpq_url(url: str) -> str:
    """`postgresql+psycopg://…` (SQLAlchemy's spelling) → `postgresql://…` (libpq's)."""
    scheme, sep, rest = url.partition("://")
    base = scheme.split("+", 1)[0]
    if base == "postgres":
        base = "postgresql"
    return f"{base}{sep}{rest}"


class PostgresBus(RemoteBus):
    def __init__(self, url: str) -> None:
        super().__init__()
        conninfo, channel = split_channel(libpq_url(url), DEFAULT_CHANNEL)
        if not _CHANNEL.match(channel):
            raise ValueError(f"channel {channel!r}: use lower-case letters, digits and _ (at most 63)")
        self.channel = channel
        self._conninfo = conninfo
        self._listener: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        self._sender_conn: psycopg.AsyncConnection[tuple[object, ...]] | None = None

    async def _connect(self) -> psycopg.AsyncConnection[tuple[object, ...]]:
        return await psycopg.AsyncConnection.connect(
            self._conninfo,
            autocommit=True,
            connect_timeout=max(1, int(self.connect_timeout)),
            application_name=f"concord-bus:{self.channel}",
        )

    async def _open(self) -> None:
        # Fail fast at start-up when the server is unreachable; later failures reconnect.
        self._sender_conn = await self._connect()

    async def _listen(self, subscribed: Callable[[], None]) -> None:
        conn = await self._connect()
        self._listener = conn
        try:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            subscribed()
            async for notify in conn.notifies():
                self._received(notify.payload)
        finally:
            self._listener = None
            await conn.close()

    async def _send(self, event_id: int) -> None:
        conn = self._sender_conn
        if conn is None or conn.closed or conn.broken:
            if conn is not None:
                await conn.close()
            self._sender_conn = conn = await self._connect()
        try:
            await conn.execute("SELECT pg_notify(%s, %s)", (self.channel, str(event_id)))
        except psycopg.OperationalError:
            await conn.close()
            self._sender_conn = None
            raise

    async def _close(self) -> None:
        for conn in (self._sender_conn, self._listener):
            if conn is not None:
                await conn.close()
        self._sender_conn = None
        self._listener = None
