"""Nations table and queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Connection, String, Table, insert, select

from concord.domain.nations import Nation
from concord.storage.schema import TS, metadata

nations = Table(
    "nations", metadata,
    Column("code", String(3), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("labels", JSON, nullable=False),
    Column("joined_at", TS, nullable=False),
)


def add_nation(conn: Connection, nation: Nation, at: datetime) -> None:
    conn.execute(insert(nations).values(code=nation.code, name=nation.name, labels=nation.labels, joined_at=at))


def get_nation(conn: Connection, code: str) -> Nation | None:
    row = conn.execute(select(nations).where(nations.c.code == code)).first()
    return Nation(row.code, row.name, dict(row.labels)) if row else None


def list_nations(conn: Connection) -> list[Nation]:
    rows = conn.execute(select(nations).order_by(nations.c.code))
    return [Nation(r.code, r.name, dict(r.labels)) for r in rows]
