"""The public half of each of the centre's keys (services/identity.py): one row per key, written by
the first process that has it. The private keys stay in the data directory, never here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Connection, String, Table, select

from concord.storage.dialect import insert_or_ignore
from concord.storage.schema import TS, metadata

centre_identity = Table(
    "centre_identity", metadata,
    Column("component", String(64), primary_key=True),
    Column("fingerprint", String(255), nullable=False),
    Column("recorded_at", TS, nullable=False),
)


def recorded(conn: Connection, component: str) -> str | None:
    return conn.execute(select(centre_identity.c.fingerprint)
                        .where(centre_identity.c.component == component)).scalar_one_or_none()


def record_first(conn: Connection, component: str, fingerprint: str, at: datetime) -> str:
    """Record `fingerprint` unless one is already recorded (by any process); the recorded one."""
    conn.execute(insert_or_ignore(conn.dialect.name, centre_identity).values(
        component=component, fingerprint=fingerprint, recorded_at=at))
    stored = recorded(conn, component)
    assert stored is not None
    return stored


def replace(conn: Connection, component: str, fingerprint: str, at: datetime) -> None:
    """A deliberate change of key (rotation): the new fingerprint is the centre's from now on."""
    if recorded(conn, component) is None:
        record_first(conn, component, fingerprint, at)
    else:
        conn.execute(centre_identity.update().where(centre_identity.c.component == component)
                     .values(fingerprint=fingerprint, recorded_at=at))
