"""Where each durable follower of the event log has got to (services/follow.py).

One row per follower name. A follower saves its position in the same transaction as the work the
events led to, so after a crash it resumes exactly after the last batch whose work is committed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Connection, DateTime, String, Table, select, update

from concord.storage.schema import metadata

follower_positions = Table(
    "follower_positions", metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def load_position(conn: Connection, name: str) -> int | None:
    """The event id follower `name` has handled everything up to, or None if it never ran."""
    position = conn.execute(
        select(follower_positions.c.position).where(follower_positions.c.name == name)).scalar_one_or_none()
    return None if position is None else int(position)


def save_position(conn: Connection, name: str, position: int, at: datetime) -> None:
    """Record that follower `name` has handled every event up to `position` (never moves back)."""
    moved = conn.execute(
        update(follower_positions)
        .where(follower_positions.c.name == name, follower_positions.c.position <= position)
        .values(position=position, updated_at=at))
    if moved.rowcount == 0 and load_position(conn, name) is None:
        conn.execute(follower_positions.insert().values(name=name, position=position, updated_at=at))
