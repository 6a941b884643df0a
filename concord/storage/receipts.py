"""Read receipts: per person and channel, the message through which everything was delivered and
read. Markers only move forward."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, ForeignKey, Table, case, or_, select
from sqlalchemy.sql.dml import Insert

from concord.storage.dialect import name as dialect_name
from concord.storage.dialect import upsert_with
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


@functools.cache
def _advance(dialect: str) -> Insert:
    """Insert the marker or move it forward, in one statement: each of delivered and read moves only
    when the new value is higher, decided on the row as it is when written (a concurrent write may
    have moved it), and a row that would not move is not written."""
    m = read_markers.c

    def moved(excluded: Any) -> dict[str, Any]:
        delivered, read = m.delivered_through < excluded.delivered_through, m.read_through < excluded.read_through
        return {"delivered_through": case((delivered, excluded.delivered_through), else_=m.delivered_through),
                "delivered_at": case((delivered, excluded.delivered_at), else_=m.delivered_at),
                "read_through": case((read, excluded.read_through), else_=m.read_through),
                "read_at": case((read, excluded.read_at), else_=m.read_at)}

    return upsert_with(dialect, read_markers, ["person_id", "channel_id"], moved,
                       lambda excluded: or_(m.delivered_through < excluded.delivered_through,
                                            m.read_through < excluded.read_through))


def advance_marker(conn: Connection, person_id: int, channel_id: int, *, delivered: int | None = None,
                   read: int | None = None, at: datetime) -> None:
    """Move the person's delivered/read markers forward (never back); reading implies delivery."""
    if read is not None:
        delivered = max(delivered or 0, read)
    conn.execute(_advance(dialect_name(conn)), {
        "person_id": person_id, "channel_id": channel_id, "delivered_through": delivered or 0,
        "delivered_at": at if delivered else None, "read_through": read or 0, "read_at": at if read else None})


def markers_for_channel(conn: Connection, channel_id: int) -> dict[int, dict[str, Any]]:
    rows = conn.execute(select(read_markers).where(read_markers.c.channel_id == channel_id))
    return {r.person_id: dict(r._mapping) for r in rows}
