"""Read receipts: per person and channel, the message through which everything was delivered and
read. Markers only move forward."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, ForeignKey, Table, case, select, update

from concord.storage.dialect import insert_or_ignore
from concord.storage.dialect import name as dialect_name
from concord.storage.schema import TS, BigId, metadata

read_markers = Table(
    "read_markers", metadata,
    Column("person_id", BigId, ForeignKey("people.id"), primary_key=True),
    Column("channel_id", BigId, ForeignKey("channels.id"), primary_key=True),
    Column("delivered_through", BigId, nullable=False),
    Column("delivered_at", TS, nullable=True),
    Column("read_through", BigId, nullable=False),
    Column("read_at", TS, nullable=True),
)


def get_marker(conn: Connection, person_id: int, channel_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(read_markers).where(read_markers.c.person_id == person_id,
                                                  read_markers.c.channel_id == channel_id)).first()
    return None if row is None else dict(row._mapping)


def advance_marker(conn: Connection, person_id: int, channel_id: int, *, delivered: int | None = None,
                   read: int | None = None, at: datetime) -> None:
    """Move the person's delivered/read markers forward (never back); reading implies delivery."""
    if read is not None:
        delivered = max(delivered or 0, read)
    current = get_marker(conn, person_id, channel_id)
    if current is None:
        # Two writes for one person and channel may run at once (no writer holds a centre-wide lock on
        # PostgreSQL): the second insert waits for the first and skips, then both move it forward.
        conn.execute(insert_or_ignore(dialect_name(conn), read_markers), {
            "person_id": person_id, "channel_id": channel_id, "delivered_through": delivered or 0,
            "delivered_at": at if delivered else None, "read_through": read or 0, "read_at": at if read else None})
        current = get_marker(conn, person_id, channel_id)
        assert current is not None
    values: dict[str, Any] = {}
    # Forward only, decided on the row as it is when updated (a concurrent write may have moved it).
    m = read_markers.c
    if delivered is not None and delivered > current["delivered_through"]:
        values.update(delivered_through=case((m.delivered_through < delivered, delivered), else_=m.delivered_through),
                      delivered_at=case((m.delivered_through < delivered, at), else_=m.delivered_at))
    if read is not None and read > current["read_through"]:
        values.update(read_through=case((m.read_through < read, read), else_=m.read_through),
                      read_at=case((m.read_through < read, at), else_=m.read_at))
    if values:
        conn.execute(update(read_markers).where(read_markers.c.person_id == person_id,
                                                read_markers.c.channel_id == channel_id).values(**values))


def markers_for_channel(conn: Connection, channel_id: int) -> dict[int, dict[str, Any]]:
    rows = conn.execute(select(read_markers).where(read_markers.c.channel_id == channel_id))
    return {r.person_id: dict(r._mapping) for r in rows}
