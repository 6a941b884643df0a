"""Messages (marked) and their revisions. Every query returning messages to a person applies
`visible_to` and the channel rule (`storage.channels.readable_channels`) in SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    and_,
    func,
    insert,
    select,
    update,
)

from concord.clock import utc
from concord.domain.attachments import Attachment
from concord.domain.markings import Reader
from concord.domain.messages import Message, Precedence, Revision
from concord.storage.channels import channels, readable_channels
from concord.storage.policy import marking_from_row, marking_values, visible_to
from concord.storage.receipts import read_markers
from concord.storage.schema import TS, BigId, marking_columns, metadata

messages = Table(
    "messages", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("channel_id", BigId, ForeignKey("channels.id"), nullable=False),
    Column("author_id", BigId, ForeignKey("people.id"), nullable=False),
    Column("author_nation", String(3), nullable=False),
    Column("precedence", SmallInteger, nullable=False),
    Column("body", Text, nullable=False),
    Column("attachments", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("posted_at", TS, nullable=False),
    Column("edited_at", TS, nullable=True),
    Column("retracted_at", TS, nullable=True),
    *marking_columns(),
    Index("ix_messages_channel_id_id", "channel_id", "id"),
)

message_revisions = Table(
    "message_revisions", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("message_id", BigId, ForeignKey("messages.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("attachments", JSON, nullable=False),
    Column("replaced_at", TS, nullable=False),
    Column("replaced_by", Integer, nullable=False),
)


def attachments_out(attachments: tuple[Attachment, ...]) -> list[dict[str, Any]]:
    return [a.to_dict() for a in attachments]


def attachments_in(stored: list[dict[str, Any]]) -> tuple[Attachment, ...]:
    # Rows written before attachments had content carry only name, type and size (and no bytes).
    return tuple(Attachment.from_dict({"number": i + 1, "sha256": "", **a}) for i, a in enumerate(stored))


def message_from_row(row: Any) -> Message:
    m = row._mapping
    return Message(
        id=m["id"], channel_id=m["channel_id"], author_id=m["author_id"], author_nation=m["author_nation"],
        precedence=Precedence(m["precedence"]), body=m["body"], marking=marking_from_row(m),
        posted_at=utc(m["posted_at"]),
        attachments=attachments_in(m["attachments"]),
        version=m["version"], edited_at=utc(m["edited_at"]) if m["edited_at"] else None,
        retracted_at=utc(m["retracted_at"]) if m["retracted_at"] else None,
    )


def add_message(conn: Connection, message: Message) -> int:
    return int(conn.execute(insert(messages).returning(messages.c.id), {
        "channel_id": message.channel_id, "author_id": message.author_id, "author_nation": message.author_nation,
        "precedence": int(message.precedence), "body": message.body,
        "attachments": attachments_out(message.attachments),
        "version": message.version, "posted_at": message.posted_at, **marking_values(message.marking),
    }).scalar_one())


def update_message(conn: Connection, message: Message) -> None:
    conn.execute(update(messages).where(messages.c.id == message.id).values(
        body=message.body, attachments=attachments_out(message.attachments), version=message.version,
        edited_at=message.edited_at, retracted_at=message.retracted_at))


def add_revision(conn: Connection, revision: Revision) -> None:
    conn.execute(insert(message_revisions), {
        "message_id": revision.message_id, "version": revision.version, "body": revision.body,
        "attachments": attachments_out(revision.attachments), "replaced_at": revision.replaced_at,
        "replaced_by": revision.replaced_by})


def revisions(conn: Connection, message_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(select(message_revisions).where(message_revisions.c.message_id == message_id)
                        .order_by(message_revisions.c.version))
    return [{**r._mapping, "attachments": [a.to_dict() for a in attachments_in(r.attachments)]} for r in rows]


def visible_message(conn: Connection, reader: Reader, message_id: int) -> Message | None:
    """The message if `reader` may see it (policy) and takes part in its channel; else None."""
    row = conn.execute(
        select(messages).join(channels, channels.c.id == messages.c.channel_id)
        .where(messages.c.id == message_id, visible_to(messages, reader), readable_channels(reader))
    ).first()
    return None if row is None else message_from_row(row)


def history(conn: Connection, reader: Reader, channel_id: int, *, before: int | None, limit: int) -> list[Message]:
    """Newest first, `limit` at most, ids below `before` (paging backwards)."""
    query = select(messages).where(messages.c.channel_id == channel_id, visible_to(messages, reader))
    if before is not None:
        query = query.where(messages.c.id < before)
    return [message_from_row(r) for r in conn.execute(query.order_by(messages.c.id.desc()).limit(limit))]


def search(conn: Connection, reader: Reader, text: str, *, channel_id: int | None, limit: int) -> list[Message]:
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = (
        select(messages).join(channels, channels.c.id == messages.c.channel_id)
        .where(visible_to(messages, reader), readable_channels(reader), messages.c.retracted_at.is_(None),
               func.lower(messages.c.body).like(func.lower(pattern), escape="\\"))
    )
    if channel_id is not None:
        query = query.where(messages.c.channel_id == channel_id)
    return [message_from_row(r) for r in conn.execute(query.order_by(messages.c.id.desc()).limit(limit))]


def unread_counts(conn: Connection, reader: Reader) -> dict[int, int]:
    """Per readable channel: visible messages by others above the person's read marker."""
    marker = read_markers.alias("marker")
    query = (
        select(messages.c.channel_id, func.count())
        .join(channels, channels.c.id == messages.c.channel_id)
        .outerjoin(marker, and_(marker.c.channel_id == messages.c.channel_id,
                                marker.c.person_id == reader.person_id))
        .where(visible_to(messages, reader), readable_channels(reader), messages.c.retracted_at.is_(None),
               messages.c.author_id != reader.person_id,
               messages.c.id > func.coalesce(marker.c.read_through, 0))
        .group_by(messages.c.channel_id)
    )
    return {int(r[0]): int(r[1]) for r in conn.execute(query)}


def get_message(conn: Connection, message_id: int) -> Message | None:
    """Unfiltered: for the system's own loops only (never for a person's read)."""
    row = conn.execute(select(messages).where(messages.c.id == message_id)).first()
    return None if row is None else message_from_row(row)
