"""Channels and messages: post, edit, retract, acknowledge, read; history, search, unread counts;
the escalation of overdue acknowledgements. One unit of work per use case, each change with its
event in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from concord.clock import Clock, iso
from concord.domain import acknowledgements as acks
from concord.domain.attachments import Upload
from concord.domain.channels import Channel, ChannelKind, Membership, Participant, may_read_channel, new_channel
from concord.domain.errors import Forbidden, Invalid, NotFound
from concord.domain.markings import Level, Marking, Reader, Tlp
from concord.domain.messages import Message, MessageLimits, compose, edit, retract
from concord.domain.people import Actor, Role
from concord.storage import attachments as attachment_store
from concord.storage import messages as store
from concord.storage import nations as nation_store
from concord.storage import people as people_store
from concord.storage.db import Database, Tx
from concord.storage.events import append_event

MAX_PAGE = 200
#: Bytes of an attachment read and sent at a time: a download holds this much, not the whole file.
DOWNLOAD_PART = 256 * 1024


def participant(actor: Actor) -> Participant:
    return Participant(actor.person_id, actor.nation, actor.clearance, frozenset(actor.roles),
                       may_read=actor.reader.may_read)


def message_view(message: Message) -> dict[str, Any]:
    return {
        "id": message.id, "channel_id": message.channel_id, "author_id": message.author_id,
        "author_nation": message.author_nation, "precedence": message.precedence.name,
        "body": message.body, "version": message.version, "posted_at": iso(message.posted_at),
        "edited_at": iso(message.edited_at) if message.edited_at else None,
        "retracted_at": iso(message.retracted_at) if message.retracted_at else None,
        "attachments": [a.to_dict() for a in message.attachments],
        "marking": message.marking.to_dict(),
    }


class MessagingService:
    def __init__(self, db: Database, clock: Clock, *, policy: acks.AckPolicy | None = None,
                 limits: MessageLimits | None = None) -> None:
        self.db = db
        self.clock = clock
        self.policy = policy or acks.AckPolicy()
        self.limits = limits or MessageLimits()

    # ----------------------------------------------------------------------------- helpers
    def _emit(self, tx: Tx, channel: Channel, *, kind: str, item_type: str, item_id: int, marking: Marking,
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

    def _channel_for(self, conn: Any, actor: Actor, channel_id: int) -> tuple[Channel, Membership | None]:
        channel = store.get_channel(conn, channel_id)
        member = store.membership(conn, channel_id, actor.person_id) if channel else None
        if channel is None or not may_read_channel(channel, participant(actor), member):
            raise NotFound(f"no channel {channel_id}", field="channel_id")
        return channel, member

    def _message_for(self, conn: Any, reader: Reader, message_id: int) -> Message:
        message = store.visible_message(conn, reader, message_id)
        if message is None:
            raise NotFound(f"no message {message_id}", field="message_id")
        return message

    def _recipient_nations(self, conn: Any, channel: Channel, marking: Marking) -> set[str]:
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
            if channel.kind in (ChannelKind.CENTRE, ChannelKind.NATION):
                actor.require(Role.ADMINISTRATOR, action="creating a centre or nation channel")
                if channel.kind is ChannelKind.NATION and nation != actor.nation:
                    raise Forbidden("administrators create only their own nation's channel", field="nation")
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
        created = store.get_channel(tx.conn, channel_id)
        assert created is not None
        self._emit(tx, created, kind="channel.created", item_type="channel", item_id=channel_id,
                   marking=channel.max_marking, payload=self.channel_view(created), actor=actor, now=now)
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
                self._channel_for(tx.conn, actor, channel_id)
                actor.require(Role.LIAISON_OFFICER, Role.COMMANDER, action="adding channel members")
            if people_store.get_person(tx.conn, person_id) is None:
                raise Invalid(f"no person {person_id}", field="person_id")
            if store.membership(tx.conn, channel_id, person_id) is None:
                store.add_member(tx.conn, channel_id, Membership(person_id, may_post), now)

    def ensure_standard_channels(self) -> list[Channel]:
        """The centre-wide channel and one channel per nation (idempotent; `concord` setup and demo).

        A channel exists only for the nations its ceiling releases to, so the centre-wide channel's
        ceiling is widened to every partner, including nations that joined since it was made."""
        with self.db.read() as conn:
            nations = [n.code for n in nation_store.list_nations(conn)]
            centre = store.find_channel(conn, ChannelKind.CENTRE, system_only=True)
            missing = [n for n in nations if store.find_channel(conn, ChannelKind.NATION, nation=n) is None]
        made: list[Channel] = []
        if centre is None and nations:
            ceiling = Marking.build(Level.SECRET, nations[0], nations, Tlp.AMBER)
            made.append(self.create_channel(None, kind="centre", name="Joint watch", max_marking=ceiling))
        elif centre is not None and not set(nations) <= centre.max_marking.audience:
            assert centre.id is not None
            widened = replace(centre.max_marking, releasable_to=centre.max_marking.releasable_to | set(nations))
            with self.db.write() as tx:
                store.set_channel_marking(tx.conn, centre.id, widened)
        for nation in missing:
            ceiling = Marking.build(Level.SECRET, nation, [nation], Tlp.AMBER_STRICT)
            made.append(self.create_channel(None, kind="nation", name=f"{nation} internal", max_marking=ceiling,
                                            nation=nation))
        return made

    @staticmethod
    def channel_view(channel: Channel) -> dict[str, Any]:
        return {"id": channel.id, "kind": channel.kind.value, "name": channel.name, "nation": channel.nation,
                "subject_id": channel.subject_id, "members": sorted(channel.members),
                "max_marking": channel.max_marking.to_dict()}

    def channels(self, actor: Actor) -> list[Channel]:
        with self.db.read() as conn:
            return store.channels_for(conn, actor.reader)

    # ----------------------------------------------------------------------------- messages
    def post(self, actor: Actor, channel_id: int, *, body: str, precedence: str, marking: Marking,
             uploads: Sequence[Upload] = ()) -> Message:
        """A message and the files attached to it are written in one unit of work: both or neither."""
        with self.db.write() as tx:
            return self.post_in(tx, actor, channel_id, body=body, precedence=precedence, marking=marking,
                                uploads=uploads)

    def post_in(self, tx: Tx, actor: Actor, channel_id: int, *, body: str, precedence: str, marking: Marking,
                uploads: Sequence[Upload] = (), source: str | None = None) -> Message:
        """`post` inside the caller's unit of work. Every rule is checked before anything is written,
        so a refused post leaves the transaction untouched. `source` names where the message came from
        (e.g. "cot" for GeoChat from the field) in its event, so that bridge does not send it back."""
        now = self.clock.now()
        channel, member = self._channel_for(tx.conn, actor, channel_id)
        draft = compose(channel, participant(actor), member, body=body, precedence=precedence,
                        marking=marking, now=now, uploads=uploads, limits=self.limits)
        message_id = store.add_message(tx.conn, draft)
        attachment_store.add_attachments(
            tx.conn, message_id, [(a, u.content) for a, u in zip(draft.attachments, uploads, strict=True)], now)
        message = replace(draft, id=message_id)
        owed = acks.requirements(self.policy, message, acks.owing_nations(
            message, channel, self._recipient_nations(tx.conn, channel, marking)))
        if owed:
            store.add_nation_acks(tx.conn, owed, acks.next_check(self.policy, message, owed))
        self._emit(tx, channel, kind="message.posted", item_type="message", item_id=message_id,
                   marking=marking, actor=actor, now=now,
                   payload={**message_view(message), "owing": [o.nation for o in owed],
                            "ack_deadline": iso(d) if (d := self.policy.deadline(message)) and owed else None,
                            **({"source": source} if source else {})})
        store.advance_marker(tx.conn, actor.person_id, channel_id, read=message_id, at=now)
        return message

    def _change(self, actor: Actor, message_id: int, kind: str, new_body: str | None,
                remove: Iterable[int] = ()) -> Message:
        now = self.clock.now()
        retracting = kind == "message.retracted"
        with self.db.write() as tx:
            current = self._message_for(tx.conn, actor.reader, message_id)
            if retracting:
                changed, revision = retract(current, actor.person_id, now)
            else:
                changed, revision = edit(current, actor.person_id, new_body, now, self.limits, remove=remove)
            store.update_message(tx.conn, changed)
            store.add_revision(tx.conn, revision)
            if retracting:
                store.set_next_check(tx.conn, message_id, None)  # a retracted message never escalates
            channel = store.get_channel(tx.conn, current.channel_id)
            assert channel is not None
            self._emit(tx, channel, kind=kind, item_type="message", item_id=message_id, marking=changed.marking,
                       payload=message_view(changed), actor=actor, now=now)
            return changed

    def edit(self, actor: Actor, message_id: int, body: str | None, *, remove_attachments: Iterable[int] = ()
             ) -> Message:
        """A new version (the author only): new text, or None to keep it; attachments named in
        `remove_attachments` leave the current version and stay reachable through its history."""
        return self._change(actor, message_id, "message.edited", body, remove_attachments)

    def retract(self, actor: Actor, message_id: int) -> Message:
        return self._change(actor, message_id, "message.retracted", None)

    def revisions(self, actor: Actor, message_id: int) -> list[dict[str, Any]]:
        """Earlier versions of a message. Once retracted, its words are withdrawn from everyone
        but the author (the audit log keeps their hash, not the text)."""
        with self.db.read() as conn:
            message = self._message_for(conn, actor.reader, message_id)
            if message.retracted and message.author_id != actor.person_id:
                return []
            return store.revisions(conn, message_id)

    def attachment(self, actor: Actor, message_id: int, number: int) -> attachment_store.StoredAttachment:
        """An attachment of any version of a message the person may see (policy and channel, exactly
        as `get`), unless the message was retracted; NotFound otherwise, whichever the reason."""
        with self.db.read() as conn:
            found = attachment_store.visible_attachment(conn, actor.reader, message_id, number)
        if found is None:
            raise NotFound(f"no attachment {number} of message {message_id}", field="number")
        return found

    def attachment_content(self, found: attachment_store.StoredAttachment) -> Iterator[bytes]:
        """The bytes of an attachment `attachment` returned, a part at a time, each part read in its own
        short transaction (a slow download holds no database connection between parts)."""
        for offset in range(0, found.attachment.size, DOWNLOAD_PART):
            with self.db.read() as conn:
                yield attachment_store.content_part(conn, found.message_id, found.attachment.number, offset,
                                                    DOWNLOAD_PART)

    def get(self, actor: Actor, message_id: int) -> Message:
        with self.db.read() as conn:
            return self._message_for(conn, actor.reader, message_id)

    def history(self, actor: Actor, channel_id: int, *, before: int | None = None, limit: int = 50) -> list[Message]:
        if not 1 <= limit <= MAX_PAGE:
            raise Invalid(f"limit is 1 to {MAX_PAGE}", field="limit")
        with self.db.read() as conn:
            self._channel_for(conn, actor, channel_id)
            return store.history(conn, actor.reader, channel_id, before=before, limit=limit)

    def search(self, actor: Actor, text: str, *, channel_id: int | None = None, limit: int = 50) -> list[Message]:
        text = text.strip()
        if not 2 <= len(text) <= 200:
            raise Invalid("search text is 2 to 200 characters", field="q")
        with self.db.read() as conn:
            if channel_id is not None:
                self._channel_for(conn, actor, channel_id)
            return store.search(conn, actor.reader, text, channel_id=channel_id, limit=min(limit, MAX_PAGE))

    def unread(self, actor: Actor) -> dict[int, int]:
        with self.db.read() as conn:
            return store.unread_counts(conn, actor.reader)

    def mark_read(self, actor: Actor, message_id: int) -> None:
        """Everything in the message's channel up to this message is read (and so delivered)."""
        now = self.clock.now()
        with self.db.write() as tx:
            message = self._message_for(tx.conn, actor.reader, message_id)
            store.advance_marker(tx.conn, actor.person_id, message.channel_id, read=message_id, at=now)

    def mark_delivered(self, deliveries: dict[tuple[int, int], int]) -> None:
        """{(person_id, channel_id): highest message id handed to their connection} in one write."""
        if not deliveries:
            return
        now = self.clock.now()
        with self.db.write() as tx:
            for (person_id, channel_id), message_id in sorted(deliveries.items()):
                store.advance_marker(tx.conn, person_id, channel_id, delivered=message_id, at=now)
