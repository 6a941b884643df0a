"""Messages: post, edit, retract, read; history, search, unread counts, attachments, read receipts.
One unit of work per use case, each change with its event in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from concord.clock import Clock, iso
from concord.domain import acknowledgements as acks
from concord.domain.attachments import Upload
from concord.domain.errors import Invalid, NotFound
from concord.domain.markings import Marking, Reader
from concord.domain.messages import Message, MessageLimits, compose, edit, retract
from concord.domain.people import Actor
from concord.services.channels import ChannelService, participant
from concord.storage import acknowledgements as ack_store
from concord.storage import attachments as attachment_store
from concord.storage import channels as channel_store
from concord.storage import messages as store
from concord.storage import receipts as receipt_store
from concord.storage.db import Database, Tx

MAX_PAGE = 200
#: Bytes of an attachment read and sent at a time: a download holds this much, not the whole file.
DOWNLOAD_PART = 256 * 1024


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
    def __init__(self, db: Database, clock: Clock, channels: ChannelService, *,
                 policy: acks.AckPolicy | None = None, limits: MessageLimits | None = None) -> None:
        self.db = db
        self.clock = clock
        self.channels = channels
        self.policy = policy or acks.AckPolicy()
        self.limits = limits or MessageLimits()

    def message_for(self, conn: Any, reader: Reader, message_id: int) -> Message:
        """The message if `reader` may see it and takes part in its channel; NotFound otherwise."""
        message = store.visible_message(conn, reader, message_id)
        if message is None:
            raise NotFound(f"no message {message_id}", field="message_id")
        return message

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
        channel, member = self.channels.readable(tx.conn, actor, channel_id)
        draft = compose(channel, participant(actor), member, body=body, precedence=precedence,
                        marking=marking, now=now, uploads=uploads, limits=self.limits)
        message_id = store.add_message(tx.conn, draft)
        attachment_store.add_attachments(
            tx.conn, message_id, [(a, u.content) for a, u in zip(draft.attachments, uploads, strict=True)], now)
        message = replace(draft, id=message_id)
        owed = acks.requirements(self.policy, message, acks.owing_nations(
            message, channel, self.channels.recipient_nations(tx.conn, channel, marking)))
        if owed:
            ack_store.add_nation_acks(tx.conn, owed, acks.next_check(self.policy, message, owed))
        self.channels.emit(tx, channel, kind="message.posted", item_type="message", item_id=message_id,
                   marking=marking, actor=actor, now=now,
                   payload={**message_view(message), "owing": [o.nation for o in owed],
                            "ack_deadline": iso(d) if (d := self.policy.deadline(message)) and owed else None,
                            **({"source": source} if source else {})})
        receipt_store.advance_marker(tx.conn, actor.person_id, channel_id, read=message_id, at=now)
        return message

    def _change(self, actor: Actor, message_id: int, kind: str, new_body: str | None,
                remove: Iterable[int] = ()) -> Message:
        now = self.clock.now()
        retracting = kind == "message.retracted"
        with self.db.write() as tx:
            current = self.message_for(tx.conn, actor.reader, message_id)
            if retracting:
                changed, revision = retract(current, actor.person_id, now)
            else:
                changed, revision = edit(current, actor.person_id, new_body, now, self.limits, remove=remove)
            store.update_message(tx.conn, changed)
            store.add_revision(tx.conn, revision)
            if retracting:
                ack_store.set_next_check(tx.conn, message_id, None)  # a retracted message never escalates
            channel = channel_store.get_channel(tx.conn, current.channel_id)
            assert channel is not None
            self.channels.emit(tx, channel, kind=kind, item_type="message", item_id=message_id, marking=changed.marking,
                       payload=message_view(changed), actor=actor, now=now)
            return changed

    def edit(self, actor: Actor, message_id: int, body: str | None, *, remove_attachments: Iterable[int] = ()
             ) -> Message:
        """A new version (the author only): new text, or None to keep it; attachments named in
        `remove_attachments` leave the current version and stay reachable through its history."""
        return self._change(actor, message_id, "message.edited", body, remove_attachments)

    def retract(self, actor: Actor, message_id: int) -> Message:
        return self._change(actor, message_id, "message.retracted", None)

    def revisions(self, actor: Actor, message_id: int) -> tuple[Message, list[dict[str, Any]]]:
        """The message and its earlier versions (which carry its marking). Once retracted, its
        words are withdrawn from everyone but the author (the audit log keeps their hash, not the text)."""
        with self.db.read() as conn:
            message = self.message_for(conn, actor.reader, message_id)
            if message.retracted and message.author_id != actor.person_id:
                return message, []
            return message, store.revisions(conn, message_id)

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
            return self.message_for(conn, actor.reader, message_id)

    def history(self, actor: Actor, channel_id: int, *, before: int | None = None, limit: int = 50) -> list[Message]:
        if not 1 <= limit <= MAX_PAGE:
            raise Invalid(f"limit is 1 to {MAX_PAGE}", field="limit")
        with self.db.read() as conn:
            self.channels.readable(conn, actor, channel_id)
            return store.history(conn, actor.reader, channel_id, before=before, limit=limit)

    def search(self, actor: Actor, text: str, *, channel_id: int | None = None, limit: int = 50) -> list[Message]:
        text = text.strip()
        if not 2 <= len(text) <= 200:
            raise Invalid("search text is 2 to 200 characters", field="q")
        with self.db.read() as conn:
            if channel_id is not None:
                self.channels.readable(conn, actor, channel_id)
            return store.search(conn, actor.reader, text, channel_id=channel_id, limit=min(limit, MAX_PAGE))

    def unread(self, actor: Actor) -> dict[int, int]:
        with self.db.read() as conn:
            return store.unread_counts(conn, actor.reader)

    def mark_read(self, actor: Actor, message_id: int) -> None:
        """Everything in the message's channel up to this message is read (and so delivered)."""
        now = self.clock.now()
        with self.db.write() as tx:
            message = self.message_for(tx.conn, actor.reader, message_id)
            receipt_store.advance_marker(tx.conn, actor.person_id, message.channel_id, read=message_id, at=now)

    def mark_delivered(self, deliveries: dict[tuple[int, int], int]) -> None:
        """{(person_id, channel_id): highest message id handed to their connection} in one write."""
        if not deliveries:
            return
        now = self.clock.now()
        with self.db.write() as tx:
            for (person_id, channel_id), message_id in sorted(deliveries.items()):
                receipt_store.advance_marker(tx.conn, person_id, channel_id, delivered=message_id, at=now)
