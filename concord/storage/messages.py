"""Channels, members, messages (marked), revisions, read markers, acknowledgements, duty shifts,
presence. Every query returning messages applies `visible_to` in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    and_,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from concord.clock import utc
from concord.domain.acknowledgements import NationAck
from concord.domain.attachments import Attachment
from concord.domain.channels import Channel, ChannelKind, Membership
from concord.domain.duty import Shift
from concord.domain.markings import Marking, Reader
from concord.domain.messages import Message, Precedence, Revision
from concord.storage.dialect import insert_or_ignore
from concord.storage.dialect import name as dialect_name
from concord.storage.policy import in_audience, marking_from_row, marking_values, visible_to
from concord.storage.schema import BigId, marking_columns, metadata

TS = DateTime(timezone=True)

channels = Table(
    "channels", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(80), nullable=False),
    Column("nation", String(3), nullable=True),
    Column("subject_id", String(160), nullable=True),
    Column("members_key", String(40), nullable=True, unique=True),  # DIRECT: "a:b", one per pair
    Column("created_at", TS, nullable=False),
    Column("created_by", Integer, nullable=True),
    *marking_columns(),  # the channel's maximum marking
)

channel_members = Table(
    "channel_members", metadata,
    Column("channel_id", BigId, ForeignKey("channels.id"), primary_key=True),
    Column("person_id", BigId, ForeignKey("people.id"), primary_key=True),
    Column("may_post", Boolean, nullable=False),
    Column("added_at", TS, nullable=False),
)

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

read_markers = Table(
    "read_markers", metadata,
    Column("person_id", BigId, ForeignKey("people.id"), primary_key=True),
    Column("channel_id", BigId, ForeignKey("channels.id"), primary_key=True),
    Column("delivered_through", BigId, nullable=False),
    Column("delivered_at", TS, nullable=True),
    Column("read_through", BigId, nullable=False),
    Column("read_at", TS, nullable=True),
)

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

presence = Table(
    "presence", metadata,
    Column("connection_id", String(40), primary_key=True),
    Column("person_id", BigId, ForeignKey("people.id"), nullable=False, index=True),
    Column("connected_at", TS, nullable=False),
    Column("seen_at", TS, nullable=False),
)


# ------------------------------------------------------------------------------------- channels

def _channel(row: Any, members: frozenset[int] = frozenset()) -> Channel:
    m = row._mapping
    return Channel(m["id"], ChannelKind(m["kind"]), m["name"], marking_from_row(m), m["nation"], m["subject_id"],
                  members)


def direct_key(members: frozenset[int]) -> str:
    a, b = sorted(members)
    return f"{a}:{b}"


def add_channel(conn: Connection, channel: Channel, *, at: datetime, created_by: int | None) -> int:
    key = direct_key(channel.members) if channel.kind is ChannelKind.DIRECT else None
    channel_id = conn.execute(insert(channels).returning(channels.c.id), {
        "kind": channel.kind.value, "name": channel.name, "nation": channel.nation,
        "subject_id": channel.subject_id, "members_key": key, "created_at": at, "created_by": created_by,
        **marking_values(channel.max_marking),
    }).scalar_one()
    for person_id in sorted(channel.members):
        add_member(conn, int(channel_id), Membership(person_id, True), at)
    return int(channel_id)


def set_channel_marking(conn: Connection, channel_id: int, marking: Marking) -> None:
    conn.execute(update(channels).where(channels.c.id == channel_id).values(**marking_values(marking)))


def find_direct(conn: Connection, members: frozenset[int]) -> int | None:
    row = conn.execute(select(channels.c.id).where(channels.c.members_key == direct_key(members))).first()
    return None if row is None else int(row.id)


def add_member(conn: Connection, channel_id: int, membership: Membership, at: datetime) -> None:
    conn.execute(insert(channel_members), {"channel_id": channel_id, "person_id": membership.person_id,
                                           "may_post": membership.may_post, "added_at": at})


def get_channel(conn: Connection, channel_id: int) -> Channel | None:
    row = conn.execute(select(channels).where(channels.c.id == channel_id)).first()
    if row is None:
        return None
    members: frozenset[int] = frozenset()
    if row.kind == ChannelKind.DIRECT.value:
        members = frozenset(member_ids(conn, channel_id))
    return _channel(row, members)


def find_channel(conn: Connection, kind: ChannelKind, *, nation: str | None = None,
                 system_only: bool = False) -> Channel | None:
    """The first channel of `kind` (of `nation`; with `system_only`, one the centre made itself)."""
    query = select(channels).where(channels.c.kind == kind.value)
    if nation is not None:
        query = query.where(channels.c.nation == nation)
    if system_only:
        query = query.where(channels.c.created_by.is_(None))
    row = conn.execute(query.order_by(channels.c.id)).first()
    return None if row is None else _channel(row)


def find_subject_channel(conn: Connection, kind: ChannelKind, subject_id: str) -> int | None:
    row = conn.execute(select(channels.c.id).where(channels.c.kind == kind.value, channels.c.subject_id == subject_id)
                       .order_by(channels.c.id)).first()
    return None if row is None else int(row.id)


def membership(conn: Connection, channel_id: int, person_id: int) -> Membership | None:
    row = conn.execute(select(channel_members).where(channel_members.c.channel_id == channel_id,
                                                     channel_members.c.person_id == person_id)).first()
    return None if row is None else Membership(row.person_id, row.may_post)


def member_ids(conn: Connection, channel_id: int) -> list[int]:
    return [r.person_id for r in conn.execute(
        select(channel_members.c.person_id).where(channel_members.c.channel_id == channel_id))]


def _readable_channels(reader: Reader) -> Any:
    """Channels the person takes part in (the kind rules of `domain.channels.may_read_channel`)."""
    mine = select(channel_members.c.channel_id).where(channel_members.c.person_id == reader.person_id)
    return and_(
        in_audience(channels, reader.nation),
        or_(
            channels.c.kind == ChannelKind.CENTRE.value,
            and_(channels.c.kind == ChannelKind.NATION.value, channels.c.nation == reader.nation),
            channels.c.id.in_(mine),
        ),
    )


def readable_channels(reader: Reader) -> Any:
    """The SQL condition for channels the reader takes part in (for joins made by other modules)."""
    return _readable_channels(reader)


def channels_for(conn: Connection, reader: Reader) -> list[Channel]:
    if not reader.may_read:
        return []
    rows = conn.execute(select(channels).where(_readable_channels(reader)).order_by(channels.c.id)).all()
    return [get_channel(conn, r.id) or _channel(r) for r in rows]


# ------------------------------------------------------------------------------------- messages

def attachments_out(attachments: tuple[Attachment, ...]) -> list[dict[str, Any]]:
    return [a.to_dict() for a in attachments]


def attachments_in(stored: list[dict[str, Any]]) -> tuple[Attachment, ...]:
    # Rows written before attachments had content carry only name, type and size (and no bytes).
    return tuple(Attachment.from_dict({"number": i + 1, "sha256": "", **a}) for i, a in enumerate(stored))


def _message(row: Any) -> Message:
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
        .where(messages.c.id == message_id, visible_to(messages, reader), _readable_channels(reader))
    ).first()
    return None if row is None else _message(row)


def history(conn: Connection, reader: Reader, channel_id: int, *, before: int | None, limit: int) -> list[Message]:
    """Newest first, `limit` at most, ids below `before` (paging backwards)."""
    query = select(messages).where(messages.c.channel_id == channel_id, visible_to(messages, reader))
    if before is not None:
        query = query.where(messages.c.id < before)
    return [_message(r) for r in conn.execute(query.order_by(messages.c.id.desc()).limit(limit))]


def search(conn: Connection, reader: Reader, text: str, *, channel_id: int | None, limit: int) -> list[Message]:
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = (
        select(messages).join(channels, channels.c.id == messages.c.channel_id)
        .where(visible_to(messages, reader), _readable_channels(reader), messages.c.retracted_at.is_(None),
               func.lower(messages.c.body).like(func.lower(pattern), escape="\\"))
    )
    if channel_id is not None:
        query = query.where(messages.c.channel_id == channel_id)
    return [_message(r) for r in conn.execute(query.order_by(messages.c.id.desc()).limit(limit))]


def unread_counts(conn: Connection, reader: Reader) -> dict[int, int]:
    """Per readable channel: visible messages by others above the person's read marker."""
    marker = read_markers.alias("marker")
    query = (
        select(messages.c.channel_id, func.count())
        .join(channels, channels.c.id == messages.c.channel_id)
        .outerjoin(marker, and_(marker.c.channel_id == messages.c.channel_id,
                                marker.c.person_id == reader.person_id))
        .where(visible_to(messages, reader), _readable_channels(reader), messages.c.retracted_at.is_(None),
               messages.c.author_id != reader.person_id,
               messages.c.id > func.coalesce(marker.c.read_through, 0))
        .group_by(messages.c.channel_id)
    )
    return {int(r[0]): int(r[1]) for r in conn.execute(query)}


# ------------------------------------------------------------------------------------- receipts

def get_marker(conn: Connection, person_id: int, channel_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(read_markers).where(read_markers.c.person_id == person_id,
                                                  read_markers.c.channel_id == channel_id)).first()
    return None if row is None else dict(row._mapping)


def advance_marker(conn: Connection, person_id: int, channel_id: int, *, delivered: int | None = None,
                   read: int | None = None, at: datetime) -> None:
    """Move the person's delivered/read markers forward (never back); reading implies delivery."""
    if read is not None:
        delivered = max(delivered or 0, read)
    current = get_marker(conn, person_id, channel_id)
    if current is None:
        # Two writes for one person and channel may run at once (no writer holds a centre-wide lock on
        # PostgreSQL): the second insert waits for the first and skips, then both move it forward.
        conn.execute(insert_or_ignore(dialect_name(conn), read_markers), {
            "person_id": person_id, "channel_id": channel_id, "delivered_through": delivered or 0,
            "delivered_at": at if delivered else None, "read_through": read or 0, "read_at": at if read else None})
        current = get_marker(conn, person_id, channel_id)
        assert current is not None
    values: dict[str, Any] = {}
    # Forward only, decided on the row as it is when updated (a concurrent write may have moved it).
    m = read_markers.c
    if delivered is not None and delivered > current["delivered_through"]:
        values.update(delivered_through=case((m.delivered_through < delivered, delivered), else_=m.delivered_through),
                      delivered_at=case((m.delivered_through < delivered, at), else_=m.delivered_at))
    if read is not None and read > current["read_through"]:
        values.update(read_through=case((m.read_through < read, read), else_=m.read_through),
                      read_at=case((m.read_through < read, at), else_=m.read_at))
    if values:
        conn.execute(update(read_markers).where(read_markers.c.person_id == person_id,
                                                read_markers.c.channel_id == channel_id).values(**values))


def markers_for_channel(conn: Connection, channel_id: int) -> dict[int, dict[str, Any]]:
    rows = conn.execute(select(read_markers).where(read_markers.c.channel_id == channel_id))
    return {r.person_id: dict(r._mapping) for r in rows}


# ------------------------------------------------------------------------------------- acknowledgements

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
    return [_message(r) for r in rows]


def get_message(conn: Connection, message_id: int) -> Message | None:
    """Unfiltered: for the system's own loops only (never for a person's read)."""
    row = conn.execute(select(messages).where(messages.c.id == message_id)).first()
    return None if row is None else _message(row)


# ------------------------------------------------------------------------------------- duty roster

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


# ------------------------------------------------------------------------------------- presence

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


def disconnected(conn: Connection, connection_id: str) -> None:
    conn.execute(delete(presence).where(presence.c.connection_id == connection_id))


def online(conn: Connection, since: datetime, person_ids: list[int] | None = None) -> list[Online]:
    query = (select(presence.c.person_id, func.count(), func.min(presence.c.connected_at))
             .where(presence.c.seen_at >= since).group_by(presence.c.person_id))
    if person_ids is not None:
        query = query.where(presence.c.person_id.in_(person_ids))
    return [Online(int(r[0]), int(r[1]), utc(r[2])) for r in conn.execute(query)]


def online_nations(conn: Connection, since: datetime) -> dict[int, str]:
    """People with a connection seen since `since`, each with their nation (what the policy
    needs to decide who may be told they are online)."""
    from concord.storage.people import people

    query = (select(presence.c.person_id, people.c.nation).join(people, people.c.id == presence.c.person_id)
             .where(presence.c.seen_at >= since).distinct())
    return {int(r[0]): str(r[1]) for r in conn.execute(query)}


# ------------------------------------------------------------------------------------- live feed

def events_for_class(conn: Connection, reader: Reader, after_id: int, limit: int) -> list[Any]:
    """Events a whole reader class (nation + clearance) may see, addressed or not, in id order.

    The live feed reads once per class and routes addressed events (`recipient_id`) to their one
    person; releasability is still decided here, in SQL, by `visible_to`.
    """
    from concord.storage.events import _event, events

    query = (select(events).where(events.c.position > after_id, visible_to(events, reader))
             .order_by(events.c.position).limit(limit))
    return [_event(row._mapping) for row in conn.execute(query)]
