"""The bytes of message attachments, in the database beside their message.

In the database rather than on a file system so that the message and its files commit in one
transaction (a crash never leaves one without the other), backups and replicas carry them, and every
server process behind the load balancer reads the same files. A row is written once and never
changed: edits and retraction change only which version of the message names it.

Reads go through the message: `visible_attachment` applies `visible_to` on the message's marking and
the channel rule of `storage.messages.visible_message`; only then are the bytes read, a part at a
time (`content_part`), so a download never holds a whole file in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    func,
    insert,
    select,
)

from concord.domain.attachments import Attachment
from concord.domain.markings import Marking, Reader
from concord.storage.channels import channels, readable_channels
from concord.storage.messages import messages
from concord.storage.policy import marking_from_row, visible_to
from concord.storage.schema import TS, BigId, metadata

message_attachments = Table(
    "message_attachments", metadata,
    Column("message_id", BigId, ForeignKey("messages.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("added_at", TS, nullable=False),
)


@dataclass(frozen=True, slots=True)
class StoredAttachment:
    attachment: Attachment
    message_id: int
    marking: Marking  # the message's


def add_attachments(conn: Connection, message_id: int, files: list[tuple[Attachment, bytes]], at: datetime) -> None:
    for attachment, content in files:
        assert len(content) == attachment.size
        conn.execute(insert(message_attachments), {
            "message_id": message_id, "number": attachment.number, "filename": attachment.filename,
            "content_type": attachment.content_type, "size": attachment.size, "sha256": attachment.sha256,
            "content": content, "added_at": at})


def visible_attachment(conn: Connection, reader: Reader, message_id: int, number: int) -> StoredAttachment | None:
    """Attachment `number` of a message `reader` may see (policy and channel) that is not retracted;
    any version's attachment, so the history of an edited message still reaches its files."""
    a = message_attachments
    row: Any = conn.execute(
        select(a.c.message_id, a.c.number, a.c.filename, a.c.content_type, a.c.size, a.c.sha256,
               messages.c.m_level, messages.c.m_originator, messages.c.m_releasable_to, messages.c.m_tlp,
               messages.c.m_caveats)
        .join(messages, messages.c.id == a.c.message_id)
        .join(channels, channels.c.id == messages.c.channel_id)
        .where(a.c.message_id == message_id, a.c.number == number, messages.c.retracted_at.is_(None),
               visible_to(messages, reader), readable_channels(reader))
    ).first()
    if row is None:
        return None
    m = row._mapping
    attachment = Attachment(m["number"], m["filename"], m["content_type"], int(m["size"]), m["sha256"])
    return StoredAttachment(attachment, int(m["message_id"]), marking_from_row(m))


def content_part(conn: Connection, message_id: int, number: int, offset: int, length: int) -> bytes:
    """`length` bytes of an attachment from `offset` (substr counts bytes of a BLOB or bytea from 1).
    Callers check visibility first (`visible_attachment`)."""
    a = message_attachments
    part = conn.execute(
        select(func.substr(a.c.content, offset + 1, length)).where(a.c.message_id == message_id, a.c.number == number)
    ).scalar_one()
    return bytes(part)
