"""What each nation owes on a FLASH or IMMEDIATE message: its acknowledgement, escalations raised,
and when the escalation loop next looks at the message."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, ForeignKey, Integer, String, Table, insert, select, update

from concord.clock import utc
from concord.domain.acknowledgements import NationAck
from concord.domain.messages import Message
from concord.storage.messages import message_from_row, messages
from concord.storage.schema import TS, BigId, metadata

nation_acks = Table(
    "nation_acks", metadata,
    Column("message_id", BigId, ForeignKey("messages.id"), primary_key=True),
    Column("nation", String(3), primary_key=True),
    Column("acknowledged_by", Integer, nullable=True),
    Column("acknowledged_at", TS, nullable=True),
    Column("escalations", Integer, nullable=False),
    Column("last_escalated_at", TS, nullable=True),
    Column("next_check_at", TS, nullable=True, index=True),  # NULL once nothing is left to do
)


def _nation_ack(row: Any) -> NationAck:
    m = row._mapping
    return NationAck(m["message_id"], m["nation"], m["acknowledged_by"],
                     utc(m["acknowledged_at"]) if m["acknowledged_at"] else None, m["escalations"],
                     utc(m["last_escalated_at"]) if m["last_escalated_at"] else None)


def add_nation_acks(conn: Connection, owed: list[NationAck], next_check_at: datetime | None) -> None:
    for entry in owed:
        conn.execute(insert(nation_acks), {"message_id": entry.message_id, "nation": entry.nation,
                                           "escalations": 0, "next_check_at": next_check_at})


def acks_of(conn: Connection, message_id: int, *, for_update: bool = False) -> list[NationAck]:
    query = select(nation_acks).where(nation_acks.c.message_id == message_id).order_by(nation_acks.c.nation)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return [_nation_ack(r) for r in conn.execute(query)]


def save_nation_ack(conn: Connection, entry: NationAck) -> None:
    conn.execute(update(nation_acks).where(nation_acks.c.message_id == entry.message_id,
                                           nation_acks.c.nation == entry.nation).values(
        acknowledged_by=entry.acknowledged_by, acknowledged_at=entry.acknowledged_at,
        escalations=entry.escalations, last_escalated_at=entry.last_escalated_at))


def set_next_check(conn: Connection, message_id: int, next_check_at: datetime | None) -> None:
    """When the escalation loop next looks at this message (None: never; e.g. retracted, all acknowledged)."""
    conn.execute(update(nation_acks).where(nation_acks.c.message_id == message_id)
                 .values(next_check_at=next_check_at))


def messages_due(conn: Connection, now: datetime, limit: int = 200) -> list[Message]:
    """Messages with an acknowledgement whose next check time has come (the escalation loop)."""
    due = select(nation_acks.c.message_id).where(nation_acks.c.next_check_at <= now).distinct()
    rows = conn.execute(select(messages).where(messages.c.id.in_(due)).order_by(messages.c.id).limit(limit))
    return [message_from_row(r) for r in rows]
