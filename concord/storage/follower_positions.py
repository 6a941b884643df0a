"""Where each durable follower of the event log has got to (services/follow.py).

One row per follower name. A follower saves its position in the same transaction as the work the
events led to, so after a crash it resumes exactly after the last batch whose work is committed.
The row is also the follower's lease: `claim_position` locks it until the transaction ends, so one
process at a time works on a batch and the next one starts from where that batch got to.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Connection, String, Table, select, update

from concord.storage.dialect import for_update, insert_or_ignore
from concord.storage.schema import TS, metadata

follower_positions = Table(
    "follower_positions", metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", TS, nullable=False),
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


def claim_position(conn: Connection, name: str, first: int, at: datetime) -> int:
    """The position of follower `name` (`first` when it never ran), its row locked until the
    transaction ends: another process running the same follower waits here for the batch in progress
    and then reads where it got to. (SQLite writers hold the database's write lock already.)"""
    # Insert-or-ignore: two processes starting a new follower at once both see one row.
    conn.execute(insert_or_ignore(conn.dialect.name, follower_positions).values(name=name, position=first,
                                                                                 updated_at=at))
    query = select(follower_positions.c.position).where(follower_positions.c.name == name)
    return int(conn.execute(for_update(conn, query)).scalar_one())
