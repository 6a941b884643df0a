"""Nations table and queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Connection, String, Table, select, update

from concord.domain.nations import Nation
from concord.storage.dialect import insert_or_ignore
from concord.storage.schema import TS, metadata

nations = Table(
    "nations", metadata,
    Column("code", String(3), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("labels", JSON, nullable=False),
    Column("joined_at", TS, nullable=False),
)


def add_nation(conn: Connection, nation: Nation, at: datetime) -> bool:
    """Add a partner; False when its code is one already (perhaps added a moment ago by a concurrent
    writer, whose insert this one waited for on the key)."""
    added = conn.execute(insert_or_ignore(conn.dialect.name, nations).values(
        code=nation.code, name=nation.name, labels=nation.labels, joined_at=at).returning(nations.c.code)).first()
    return added is not None


def get_nation(conn: Connection, code: str) -> Nation | None:
    row = conn.execute(select(nations).where(nations.c.code == code)).first()
    return Nation(row.code, row.name, dict(row.labels)) if row else None


def list_nations(conn: Connection) -> list[Nation]:
    rows = conn.execute(select(nations).order_by(nations.c.code))
    return [Nation(r.code, r.name, dict(r.labels)) for r in rows]


def update_nation(conn: Connection, nation: Nation) -> None:
    """Replace a partner's name and labels (its code never changes)."""
    conn.execute(update(nations).where(nations.c.code == nation.code).values(name=nation.name, labels=nation.labels))
