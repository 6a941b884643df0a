"""People and appointments tables and queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Table,
    insert,
    select,
    update,
)

from concord.clock import utc
from concord.domain.markings import Level
from concord.domain.people import Appointment, Role
from concord.storage.dialect import for_update, insert_or_ignore
from concord.storage.schema import TS, BigId, metadata

people = Table(
    "people", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("username", String(63), nullable=False, unique=True),
    Column("display_name", String(120), nullable=False),
    Column("nation", String(3), ForeignKey("nations.code"), nullable=False, index=True),
    Column("clearance", SmallInteger, nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("totp_secret", String(255), nullable=True),  # encrypted (services/secrets.py)
    Column("totp_last_step", BigInteger, nullable=True),  # the newest TOTP time step accepted
    # Raised by every password change, reset, disable and second-factor change: sessions, remembered
    # Basic checks and TAK certificates carry the epoch they were made in, and die when it moves.
    Column("credential_epoch", Integer, nullable=False, default=0, server_default="0"),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("language", String(5), nullable=False, default="en"),
    Column("created_at", TS, nullable=False),
)

appointments = Table(
    "appointments", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("person_id", BigId, ForeignKey("people.id"), nullable=False, index=True),
    Column("nation", String(3), ForeignKey("nations.code"), nullable=False),
    Column("role", String(32), nullable=False),
    Column("starts_at", TS, nullable=False),
    Column("ends_at", TS, nullable=True),
    Column("created_by", Integer, ForeignKey("people.id"), nullable=True),
    Column("created_at", TS, nullable=False),
)


@dataclass(frozen=True, slots=True)
class PersonRow:
    id: int
    username: str
    display_name: str
    nation: str
    clearance: Level
    password_hash: str
    totp_secret: str | None
    disabled: bool
    language: str
    created_at: datetime
    credential_epoch: int = 0
    totp_last_step: int | None = None


def person_from_row(row: Any) -> PersonRow:
    return PersonRow(row.id, row.username, row.display_name, row.nation, Level(row.clearance),
                     row.password_hash, row.totp_secret, row.disabled, row.language, utc(row.created_at),
                     row.credential_epoch, row.totp_last_step)


def _appointment(row: Any) -> Appointment:
    return Appointment(row.id, row.person_id, row.nation, Role(row.role), utc(row.starts_at),
                       utc(row.ends_at) if row.ends_at is not None else None)


def add_person(conn: Connection, *, username: str, display_name: str, nation: str, clearance: Level,
               password_hash: str, language: str, at: datetime) -> int | None:
    """The new person's id; None when `username` is taken (perhaps a moment ago, by a concurrent writer
    whose insert this one waited for on the unique key)."""
    person_id = conn.execute(insert_or_ignore(conn.dialect.name, people).values(
        username=username, display_name=display_name, nation=nation, clearance=int(clearance),
        password_hash=password_hash, disabled=False, language=language, created_at=at,
    ).returning(people.c.id)).scalar_one_or_none()
    return None if person_id is None else int(person_id)


def get_person(conn: Connection, person_id: int) -> PersonRow | None:
    row = conn.execute(select(people).where(people.c.id == person_id)).first()
    return person_from_row(row) if row else None


def find_person(conn: Connection, username: str) -> PersonRow | None:
    row = conn.execute(select(people).where(people.c.username == username)).first()
    return person_from_row(row) if row else None


def list_people(conn: Connection, nation: str | None = None) -> list[PersonRow]:
    query = select(people).order_by(people.c.nation, people.c.username)
    if nation:
        query = query.where(people.c.nation == nation)
    return [person_from_row(r) for r in conn.execute(query)]


def update_person(conn: Connection, person_id: int, **values: Any) -> None:
    conn.execute(update(people).where(people.c.id == person_id).values(**values))


def bump_credential_epoch(conn: Connection, person_id: int) -> int:
    """Move the person's credential epoch on; returns the new epoch."""
    return int(conn.execute(update(people).where(people.c.id == person_id)
                            .values(credential_epoch=people.c.credential_epoch + 1)
                            .returning(people.c.credential_epoch)).scalar_one())


def use_totp_step(conn: Connection, person_id: int, step: int) -> bool:
    """Record `step` as used; False when it (or a later one) was used already. One statement, so
    two sign-ins racing with the same code cannot both win."""
    result = conn.execute(update(people).where(
        people.c.id == person_id,
        (people.c.totp_last_step.is_(None)) | (people.c.totp_last_step < step),
    ).values(totp_last_step=step))
    return bool(result.rowcount)


def totp_secrets(conn: Connection) -> list[tuple[int, str]]:
    rows = conn.execute(select(people.c.id, people.c.totp_secret).where(people.c.totp_secret.is_not(None)))
    return [(r.id, r.totp_secret) for r in rows]


def add_appointment(conn: Connection, *, person_id: int, nation: str, role: Role, starts_at: datetime,
                    ends_at: datetime | None, created_by: int | None, at: datetime) -> int:
    return int(conn.execute(insert(appointments).values(
        person_id=person_id, nation=nation, role=role.value, starts_at=starts_at, ends_at=ends_at,
        created_by=created_by, created_at=at,
    ).returning(appointments.c.id)).scalar_one())


def get_appointment(conn: Connection, appointment_id: int, *, lock: bool = False) -> Appointment | None:
    """The appointment; with `lock`, locked until commit (a writer deciding on it)."""
    query = select(appointments).where(appointments.c.id == appointment_id)
    row = conn.execute(for_update(conn, query) if lock else query).first()
    return _appointment(row) if row else None


def appointments_of(conn: Connection, person_ids: list[int]) -> dict[int, list[Appointment]]:
    out: dict[int, list[Appointment]] = {pid: [] for pid in person_ids}
    if not person_ids:
        return out
    rows = conn.execute(select(appointments).where(appointments.c.person_id.in_(person_ids))
                        .order_by(appointments.c.starts_at, appointments.c.id))
    for row in rows:
        out[row.person_id].append(_appointment(row))
    return out


def holders_of(conn: Connection, nation: str, role: Role, now: datetime) -> list[int]:
    """Ids of enabled people holding `role` for `nation` at `now`."""
    rows = conn.execute(
        select(appointments.c.person_id).join(people, people.c.id == appointments.c.person_id)
        .where(appointments.c.nation == nation, appointments.c.role == role.value,
               appointments.c.starts_at <= now,
               (appointments.c.ends_at.is_(None)) | (appointments.c.ends_at > now),
               people.c.disabled.is_(False))
        .distinct()
    )
    return [r.person_id for r in rows]


def end_appointment(conn: Connection, appointment_id: int, at: datetime) -> None:
    conn.execute(update(appointments).where(appointments.c.id == appointment_id).values(ends_at=at))
