"""Presence: one row per open WebSocket connection, refreshed while it lives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, Connection, ForeignKey, String, Table, delete, func, insert, select, update

from concord.clock import utc
from concord.storage.people import people
from concord.storage.schema import TS, BigId, metadata

presence = Table(
    "presence", metadata,
    Column("connection_id", String(40), primary_key=True),
    Column("person_id", BigId, ForeignKey("people.id"), nullable=False, index=True),
    Column("connected_at", TS, nullable=False),
    Column("seen_at", TS, nullable=False),
)


@dataclass(frozen=True, slots=True)
class Online:
    person_id: int
    connections: int
    since: datetime


def connected(conn: Connection, connection_id: str, person_id: int, at: datetime) -> None:
    conn.execute(insert(presence), {"connection_id": connection_id, "person_id": person_id,
                                    "connected_at": at, "seen_at": at})


def seen(conn: Connection, connection_ids: list[str], at: datetime) -> None:
    if connection_ids:
        conn.execute(update(presence).where(presence.c.connection_id.in_(connection_ids)).values(seen_at=at))


def disconnected(conn: Connection, connection_ids: list[str]) -> None:
    """Forget closed connections, in one statement (a reconnect storm closes hundreds at once)."""
    if connection_ids:
        conn.execute(delete(presence).where(presence.c.connection_id.in_(connection_ids)))


def online(conn: Connection, since: datetime, person_ids: list[int] | None = None) -> list[Online]:
    query = (select(presence.c.person_id, func.count(), func.min(presence.c.connected_at))
             .where(presence.c.seen_at >= since).group_by(presence.c.person_id))
    if person_ids is not None:
        query = query.where(presence.c.person_id.in_(person_ids))
    return [Online(int(r[0]), int(r[1]), utc(r[2])) for r in conn.execute(query)]


def online_nations(conn: Connection, since: datetime) -> dict[int, str]:
    """People with a connection seen since `since`, each with their nation (what the policy
    needs to decide who may be told they are online)."""
    query = (select(presence.c.person_id, people.c.nation).join(people, people.c.id == presence.c.person_id)
             .where(presence.c.seen_at >= since).distinct())
    return {int(r[0]): str(r[1]) for r in conn.execute(query)}
