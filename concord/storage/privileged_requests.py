"""Privileged requests awaiting a second person: appointments of commanders and administrators,
and password resets of commanders (the two-person rule, services/privileged_requests.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, ForeignKey, Integer, String, Table, insert, select, update

from concord.clock import utc
from concord.storage.schema import TS, BigId, metadata

privileged_requests = Table(
    "privileged_requests", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # "appointment" | "password_reset"
    Column("nation", String(3), ForeignKey("nations.code"), nullable=False, index=True),
    Column("person_id", BigId, ForeignKey("people.id"), nullable=False),
    Column("role", String(32), nullable=True),
    Column("starts_at", TS, nullable=True),
    Column("ends_at", TS, nullable=True),
    Column("requested_by", Integer, ForeignKey("people.id"), nullable=False),
    Column("requested_at", TS, nullable=False),
    Column("state", String(16), nullable=False),  # "pending" | "confirmed" | "refused" | "withdrawn"
    Column("decided_by", Integer, ForeignKey("people.id"), nullable=True),
    Column("decided_at", TS, nullable=True),
    Column("appointment_id", BigId, ForeignKey("appointments.id"), nullable=True),
)


@dataclass(frozen=True, slots=True)
class RequestRow:
    id: int
    kind: str
    nation: str
    person_id: int
    role: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    requested_by: int
    requested_at: datetime
    state: str
    decided_by: int | None
    decided_at: datetime | None
    appointment_id: int | None


def _opt(value: Any) -> datetime | None:
    return utc(value) if value is not None else None


def _row(r: Any) -> RequestRow:
    return RequestRow(r.id, r.kind, r.nation, r.person_id, r.role, _opt(r.starts_at), _opt(r.ends_at),
                      r.requested_by, utc(r.requested_at), r.state, r.decided_by, _opt(r.decided_at),
                      r.appointment_id)


def add_request(conn: Connection, *, kind: str, nation: str, person_id: int, role: str | None,
                starts_at: datetime | None, ends_at: datetime | None, requested_by: int, at: datetime) -> int:
    return int(conn.execute(insert(privileged_requests).values(
        kind=kind, nation=nation, person_id=person_id, role=role, starts_at=starts_at, ends_at=ends_at,
        requested_by=requested_by, requested_at=at, state="pending",
    ).returning(privileged_requests.c.id)).scalar_one())


def get_request(conn: Connection, request_id: int, *, for_update: bool = False) -> RequestRow | None:
    query = select(privileged_requests).where(privileged_requests.c.id == request_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    return _row(row) if row else None


def pending_of(conn: Connection, nation: str) -> list[RequestRow]:
    rows = conn.execute(select(privileged_requests)
                        .where(privileged_requests.c.nation == nation, privileged_requests.c.state == "pending")
                        .order_by(privileged_requests.c.id))
    return [_row(r) for r in rows]


def decide(conn: Connection, request_id: int, *, state: str, by: int, at: datetime,
           appointment_id: int | None = None) -> bool:
    """Settle a pending request; False when it was no longer pending (someone else settled it)."""
    result = conn.execute(update(privileged_requests)
                          .where(privileged_requests.c.id == request_id, privileged_requests.c.state == "pending")
                          .values(state=state, decided_by=by, decided_at=at, appointment_id=appointment_id))
    return bool(result.rowcount)
