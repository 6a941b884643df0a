"""Channels and their members. A channel's readers are decided in SQL by `readable_channels`
(the kind rules of `domain.channels.may_read_channel`) beside the marking rule of `visible_to`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    ForeignKey,
    Integer,
    String,
    Table,
    and_,
    insert,
    or_,
    select,
    update,
)

from concord.domain.channels import Channel, ChannelKind, Membership
from concord.domain.markings import Marking, Reader
from concord.storage.dialect import Lock, hold, insert_or_ignore
from concord.storage.dialect import name as dialect_name
from concord.storage.policy import in_audience, marking_from_row, marking_values
from concord.storage.schema import TS, BigId, marking_columns, metadata

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


def _channel(row: Any, members: frozenset[int] = frozenset()) -> Channel:
    m = row._mapping
    return Channel(m["id"], ChannelKind(m["kind"]), m["name"], marking_from_row(m), m["nation"], m["subject_id"],
                  members)


_LISTED = frozenset({ChannelKind.DIRECT.value, ChannelKind.OPERATION.value, ChannelKind.INCIDENT.value})


def direct_key(members: frozenset[int]) -> str:
    a, b = sorted(members)
    return f"{a}:{b}"


def add_channel(conn: Connection, channel: Channel, *, at: datetime, created_by: int | None) -> int | None:
    """Store `channel` with its members; its id, or None for a direct channel whose two people
    already have one (made by a concurrent writer: the caller reads that one with `find_direct`)."""
    direct = channel.kind is ChannelKind.DIRECT
    key = direct_key(channel.members) if direct else None
    # Two tabs opening the same conversation at once both find none: the second insert waits for the
    # first on the unique key and skips, rather than failing the request.
    statement = insert_or_ignore(dialect_name(conn), channels) if direct else insert(channels)
    channel_id = conn.execute(statement.returning(channels.c.id), {
        "kind": channel.kind.value, "name": channel.name, "nation": channel.nation,
        "subject_id": channel.subject_id, "members_key": key, "created_at": at, "created_by": created_by,
        **marking_values(channel.max_marking),
    }).scalar_one_or_none()
    if channel_id is None:
        return None
    for person_id in sorted(channel.members):
        add_member(conn, int(channel_id), Membership(person_id, True), at)
    return int(channel_id)


def set_channel_marking(conn: Connection, channel_id: int, marking: Marking) -> None:
    conn.execute(update(channels).where(channels.c.id == channel_id).values(**marking_values(marking)))


def find_direct(conn: Connection, members: frozenset[int]) -> int | None:
    row = conn.execute(select(channels.c.id).where(channels.c.members_key == direct_key(members))).first()
    return None if row is None else int(row.id)


def add_member(conn: Connection, channel_id: int, membership: Membership, at: datetime) -> bool:
    """Add a member; False (nothing changed) when they are one already, perhaps added a moment ago by a
    concurrent writer, whose insert this one waits for on the key."""
    added = conn.execute(insert_or_ignore(dialect_name(conn), channel_members).returning(channel_members.c.person_id), {
        "channel_id": channel_id, "person_id": membership.person_id, "may_post": membership.may_post,
        "added_at": at}).first()
    return added is not None


def get_channel(conn: Connection, channel_id: int) -> Channel | None:
    row = conn.execute(select(channels).where(channels.c.id == channel_id)).first()
    if row is None:
        return None
    members: frozenset[int] = frozenset()
    if row.kind in _LISTED:  # the kinds whose members are listed (the others are open to their nations)
        members = frozenset(member_ids(conn, channel_id))
    return _channel(row, members)


def serialise_standard_setup(conn: Connection) -> None:
    """Until the transaction ends, the one setting up the standard channels (`services.channels.
    ensure_standard_channels`); its reads after this see what an earlier one committed."""
    hold(conn, Lock.STANDARD_CHANNELS)


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


def readable_channels(reader: Reader) -> Any:
    """The SQL condition for channels the person takes part in (the kind rules of
    `domain.channels.may_read_channel`), for this module and joins made by others."""
    mine = select(channel_members.c.channel_id).where(channel_members.c.person_id == reader.person_id)
    return and_(
        in_audience(channels, reader.nation),
        or_(
            channels.c.kind == ChannelKind.CENTRE.value,
            and_(channels.c.kind == ChannelKind.NATION.value, channels.c.nation == reader.nation),
            channels.c.id.in_(mine),
        ),
    )


def channels_for(conn: Connection, reader: Reader) -> list[Channel]:
    if not reader.may_read:
        return []
    rows = conn.execute(select(channels).where(readable_channels(reader)).order_by(channels.c.id)).all()
    return [get_channel(conn, r.id) or _channel(r) for r in rows]
