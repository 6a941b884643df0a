"""Channels: the standard ones, direct conversations, operation and incident channels, their members;
and the two things every channel-bound feature shares: who may read a channel, and how a change in
it becomes events (one open event, or one per member for channels with listed members)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from concord.clock import Clock
from concord.domain.channels import Channel, ChannelKind, Membership, Participant, may_read_channel, new_channel
from concord.domain.errors import Forbidden, Invalid, NotFound
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.ownership import Kind, require_owner
from concord.domain.people import Actor, Role
from concord.storage import channels as store
from concord.storage import nations as nation_store
from concord.storage import people as people_store
from concord.storage.db import Database, Tx
from concord.storage.events import append_event


def participant(actor: Actor) -> Participant:
    return Participant(actor.person_id, actor.nation, actor.clearance, frozenset(actor.roles),
                       may_read=actor.reader.may_read)


def channel_view(channel: Channel) -> dict[str, Any]:
    return {"id": channel.id, "kind": channel.kind.value, "name": channel.name, "nation": channel.nation,
            "subject_id": channel.subject_id, "members": sorted(channel.members),
            "max_marking": channel.max_marking.to_dict()}


class ChannelService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    # ----------------------------------------------------------------------------- shared by channel features
    def emit(self, tx: Tx, channel: Channel, *, kind: str, item_type: str, item_id: int, marking: Marking,
             payload: dict[str, Any], actor: Actor | None, now: datetime) -> None:
        """One event for open channels; one per member (addressed) for channels with listed members,
        so a conversation's traffic reaches only its members (the marking still applies)."""
        common: dict[str, Any] = {"at": now, "kind": kind, "item_type": item_type, "item_id": item_id,
                                  "marking": marking, "payload": payload,
                                  "actor_id": actor.person_id if actor else None,
                                  "actor_nation": actor.nation if actor else None}
        if channel.kind in (ChannelKind.CENTRE, ChannelKind.NATION):
            append_event(tx, **common)
            return
        assert channel.id is not None
        for person_id in store.member_ids(tx.conn, channel.id):
            append_event(tx, recipient_id=person_id, **common)

    def readable(self, conn: Any, actor: Actor, channel_id: int) -> tuple[Channel, Membership | None]:
        """The channel and the actor's membership; NotFound when the actor does not take part in it."""
        channel = store.get_channel(conn, channel_id)
        member = store.membership(conn, channel_id, actor.person_id) if channel else None
        if channel is None or not may_read_channel(channel, participant(actor), member):
            raise NotFound(f"no channel {channel_id}", field="channel_id")
        return channel, member

    def recipient_nations(self, conn: Any, channel: Channel, marking: Marking) -> set[str]:
        """The nations whose people receive a message of `marking` in `channel`."""
        if channel.kind is ChannelKind.CENTRE:
            nations = {n.code for n in nation_store.list_nations(conn)}
        elif channel.kind is ChannelKind.NATION:
            nations = {channel.nation} if channel.nation else set()
        else:
            assert channel.id is not None
            ids = store.member_ids(conn, channel.id)
            nations = {p.nation for p in (people_store.get_person(conn, i) for i in ids) if p is not None}
        return nations & marking.audience

    # ----------------------------------------------------------------------------- channels
    def create_channel(self, actor: Actor | None, *, kind: str, name: str, max_marking: Marking,
                       nation: str | None = None, subject_id: str | None = None,
                       members: Iterable[int] = ()) -> Channel:
        with self.db.write() as tx:
            return self.create_channel_in(tx, actor, kind=kind, name=name, max_marking=max_marking, nation=nation,
                                          subject_id=subject_id, members=members)

    def create_channel_in(self, tx: Tx, actor: Actor | None, *, kind: str, name: str, max_marking: Marking,
                          nation: str | None = None, subject_id: str | None = None,
                          members: Iterable[int] = ()) -> Channel:
        """Centre-wide and nation channels are set up by administrators (or the system); direct
        conversations by either person; operation/incident channels by their features."""
        people = frozenset(members)
        channel = new_channel(kind, name, max_marking, nation=nation, subject_id=subject_id, members=people)
        if actor is not None:
            if channel.kind is ChannelKind.DIRECT and actor.person_id not in people:
                raise Forbidden("a direct conversation includes the person who opens it", field="members")
            if channel.kind is ChannelKind.CENTRE:
                # A centre-wide channel belongs to the nation that originates its ceiling: the creator's.
                require_owner(actor, actor.nation, Kind.CHANNEL, action="create a centre channel")
            if channel.kind is ChannelKind.NATION:
                require_owner(actor, nation or "", Kind.CHANNEL, action="create a nation channel")
            if channel.kind in (ChannelKind.OPERATION, ChannelKind.INCIDENT):
                actor.require(Role.LIAISON_OFFICER, Role.COMMANDER, action="creating an operation or incident channel")
                channel = replace(channel, members=channel.members | {actor.person_id})
            if max_marking.originator != actor.nation:
                raise Invalid("a channel's maximum marking is originated by its creator's nation",
                              field="max_marking.originator")
        for person_id in people:
            if people_store.get_person(tx.conn, person_id) is None:
                raise Invalid(f"no person {person_id}", field="members")
        if channel.kind is ChannelKind.DIRECT:
            existing = store.find_direct(tx.conn, people)
            if existing is not None:
                found = store.get_channel(tx.conn, existing)
                assert found is not None
                return found
        return self.store_channel_in(tx, channel, actor=actor)

    def store_channel_in(self, tx: Tx, channel: Channel, *, actor: Actor | None) -> Channel:
        """Store a validated channel (`domain.channels.new_channel`) with its event, in the caller's unit of
        work. The caller has authorised the creation and checked that the listed members exist."""
        now = self.clock.now()
        channel_id = store.add_channel(tx.conn, channel, at=now, created_by=actor.person_id if actor else None)
        if channel_id is None:  # a direct channel of these two, made by a concurrent request: theirs, no event
            existing = store.find_direct(tx.conn, channel.members)
            assert existing is not None
            found = store.get_channel(tx.conn, existing)
            assert found is not None
            return found
        created = store.get_channel(tx.conn, channel_id)
        assert created is not None
        self.emit(tx, created, kind="channel.created", item_type="channel", item_id=channel_id,
                  marking=channel.max_marking, payload=channel_view(created), actor=actor, now=now)
        return created

    def subject_channel_in(self, conn: Any, kind: ChannelKind, subject_id: str) -> int | None:
        """The id of the operation or incident channel about `subject_id` (the caller may see the subject)."""
        return store.find_subject_channel(conn, kind, subject_id)

    def add_member(self, actor: Actor | None, channel_id: int, person_id: int, *, may_post: bool = True) -> None:
        now = self.clock.now()
        with self.db.write() as tx:
            channel = store.get_channel(tx.conn, channel_id)
            if channel is None or channel.kind not in (ChannelKind.OPERATION, ChannelKind.INCIDENT):
                raise NotFound(f"no operation or incident channel {channel_id}", field="channel_id")
            if actor is not None:
                self.readable(tx.conn, actor, channel_id)
                actor.require(Role.LIAISON_OFFICER, Role.COMMANDER, action="adding channel members")
            if people_store.get_person(tx.conn, person_id) is None:
                raise Invalid(f"no person {person_id}", field="person_id")
            store.add_member(tx.conn, channel_id, Membership(person_id, may_post), now)  # no-op for a member

    def ensure_standard_channels(self) -> list[Channel]:
        """The centre-wide channel and one channel per nation (idempotent; `concord` setup and demo).

        A channel exists only for the nations its ceiling releases to, so the centre-wide channel's
        ceiling is widened to every partner, including nations that joined since it was made."""
        made: list[Channel] = []
        with self.db.write() as tx:
            # Two processes setting up at once: the second waits, then finds the first one's channels.
            store.serialise_standard_setup(tx.conn)
            nations = [n.code for n in nation_store.list_nations(tx.conn)]
            centre = store.find_channel(tx.conn, ChannelKind.CENTRE, system_only=True)
            missing = [n for n in nations if store.find_channel(tx.conn, ChannelKind.NATION, nation=n) is None]
            if centre is None and nations:
                ceiling = Marking.build(Level.SECRET, nations[0], nations, Tlp.AMBER)
                made.append(self.create_channel_in(tx, None, kind="centre", name="Joint watch", max_marking=ceiling))
            elif centre is not None and not set(nations) <= centre.max_marking.audience:
                assert centre.id is not None
                widened = replace(centre.max_marking, releasable_to=centre.max_marking.releasable_to | set(nations))
                store.set_channel_marking(tx.conn, centre.id, widened)
            for nation in missing:
                ceiling = Marking.build(Level.SECRET, nation, [nation], Tlp.AMBER_STRICT)
                made.append(self.create_channel_in(tx, None, kind="nation", name=f"{nation} internal",
                                                   max_marking=ceiling, nation=nation))
        return made

    def channels(self, actor: Actor) -> list[Channel]:
        with self.db.read() as conn:
            return store.channels_for(conn, actor.reader)
