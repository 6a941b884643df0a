"""The duty roster: watch shifts per nation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Connection, ForeignKey, Index, Integer, String, Table, insert, select

from concord.clock import utc
from concord.domain.duty import Shift
from concord.storage.schema import TS, BigId, metadata

duty_shifts = Table(
    "duty_shifts", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("nation", String(3), nullable=False),
    Column("person_id", BigId, ForeignKey("people.id"), nullable=False),
    Column("starts_at", TS, nullable=False),
    Column("ends_at", TS, nullable=False),
    Column("created_by", Integer, nullable=True),
    Index("ix_duty_shifts_nation_ends_at", "nation", "ends_at"),
)


def add_shift(conn: Connection, shift: Shift, created_by: int | None) -> int:
    return int(conn.execute(insert(duty_shifts).returning(duty_shifts.c.id), {
        "nation": shift.nation, "person_id": shift.person_id, "starts_at": shift.starts_at,
        "ends_at": shift.ends_at, "created_by": created_by}).scalar_one())


def shifts_covering(conn: Connection, now: datetime, nation: str | None = None) -> list[tuple[int, Shift]]:
    query = select(duty_shifts).where(duty_shifts.c.starts_at <= now, duty_shifts.c.ends_at > now)
    if nation is not None:
        query = query.where(duty_shifts.c.nation == nation)
    return [(r.id, Shift(r.nation, r.person_id, utc(r.starts_at), utc(r.ends_at)))
            for r in conn.execute(query.order_by(duty_shifts.c.starts_at))]


def is_on_duty(conn: Connection, person_id: int, nation: str, now: datetime) -> bool:
    return any(s.person_id == person_id for _, s in shifts_covering(conn, now, nation))
