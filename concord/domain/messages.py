"""Messages: precedence (ACP 121), body limits, attachments (their rules are in
`concord.domain.attachments`), edit with history, retraction, and the delivered / read /
acknowledged receipts kept per recipient.

Pure functions: every time comes in as an argument (`now`), so a test controls the clock.
Acknowledgement requirements, deadlines and escalation are in `concord.domain.acknowledgements`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import IntEnum

from concord.domain.attachments import Attachment, AttachmentLimits, Upload, check_uploads
from concord.domain.channels import Channel, Membership, Participant, check_marking_within, check_may_post
from concord.domain.errors import Invalid, StateConflict, TooLarge
from concord.domain.markings import Marking
from concord.domain.ownership import Kind, require_author


class Precedence(IntEnum):
    """ACP 121 precedence; a larger value is more urgent and is delivered first."""

    ROUTINE = 0
    PRIORITY = 1
    IMMEDIATE = 2
    FLASH = 3

    @property
    def prosign(self) -> str:
        """The single-letter precedence prosign of ACP 121/131 (R, P, O, Z)."""
        return "RPOZ"[self.value]

    @classmethod
    def parse(cls, value: object) -> Precedence:
        if isinstance(value, Precedence):
            return value
        if isinstance(value, str):
            text = value.strip().upper()
            for p in cls:
                if text in (p.name, p.prosign):
                    return p
        names = ", ".join(p.name for p in sorted(cls, reverse=True))
        raise Invalid(f"precedence must be one of {names}", field="precedence")


@dataclass(frozen=True, slots=True)
class MessageLimits:
    max_body_chars: int = 4000
    attachments: AttachmentLimits = field(default_factory=AttachmentLimits)


@dataclass(frozen=True, slots=True)
class Message:
    id: int | None
    channel_id: int
    author_id: int
    author_nation: str
    precedence: Precedence
    body: str
    marking: Marking
    posted_at: datetime
    attachments: tuple[Attachment, ...] = ()
    version: int = 1
    edited_at: datetime | None = None
    retracted_at: datetime | None = None

    @property
    def retracted(self) -> bool:
        return self.retracted_at is not None


@dataclass(frozen=True, slots=True)
class Revision:
    """The text a message had before an edit or retraction (the history kept)."""

    message_id: int | None
    version: int
    body: str
    attachments: tuple[Attachment, ...]
    replaced_at: datetime
    replaced_by: int


_ALLOWED_CONTROLS = {"\n", "\t"}


def check_body(body: object, limits: MessageLimits) -> str:
    """The body as stored (NFC, no trailing whitespace); Invalid or TooLarge naming `body`."""
    if not isinstance(body, str):
        raise Invalid("body must be text", field="body")
    text = unicodedata.normalize("NFC", body.replace("\r\n", "\n")).rstrip()
    if not text.strip():
        raise Invalid("body must not be empty", field="body")
    if len(text) > limits.max_body_chars:
        raise TooLarge(f"body is longer than {limits.max_body_chars} characters", field="body")
    if any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS for ch in text):
        raise Invalid("body must not contain control characters", field="body")
    return text


def compose(
    channel: Channel,
    author: Participant,
    membership: Membership | None,
    *,
    body: str,
    precedence: Precedence | str,
    marking: Marking,
    now: datetime,
    uploads: Sequence[Upload] = (),
    limits: MessageLimits | None = None,
) -> Message:
    """A new message after every rule: the author may post, the marking fits the channel, limits hold.
    Its attachments are `uploads` checked and numbered 1, 2, … in the order given."""
    assert channel.id is not None, "compose needs a stored channel"
    limits = limits or MessageLimits()
    check_may_post(channel, author, membership)
    check_marking_within(channel, marking, author.nation)
    return Message(
        id=None,
        channel_id=channel.id,
        author_id=author.person_id,
        author_nation=author.nation,
        precedence=Precedence.parse(precedence),
        body=check_body(body, limits),
        marking=marking,
        posted_at=now,
        attachments=check_uploads(uploads, limits.attachments),
    )


def _check_author_change(message: Message, actor_id: int, what: str) -> None:
    require_author(actor_id, message.author_id, Kind.MESSAGE, action=what)
    if message.retracted:
        raise StateConflict(f"a retracted message cannot be {what}ed", field="message_id")


def edit(
    message: Message, actor_id: int, new_body: str | None, now: datetime, limits: MessageLimits | None = None,
    *, remove: Iterable[int] = (),
) -> tuple[Message, Revision]:
    """The edited message and the revision that keeps the text and attachments it replaced. `new_body`
    None keeps the text; `remove` names attachments (by number) the new version no longer carries:
    they stay in the revision, so history still reaches them."""
    _check_author_change(message, actor_id, "edit")
    text = message.body if new_body is None else check_body(new_body, limits or MessageLimits())
    dropped = set(remove)
    unknown = dropped - {a.number for a in message.attachments}
    if unknown:
        raise Invalid(f"the message has no attachment {min(unknown)}", field="remove_attachments")
    kept = tuple(a for a in message.attachments if a.number not in dropped)
    if text == message.body and kept == message.attachments:
        what = "the new text is the same as the current text" if new_body is not None else "nothing to change"
        raise Invalid(what, field="body")
    revision = Revision(message.id, message.version, message.body, message.attachments, now, actor_id)
    return replace(message, body=text, attachments=kept, version=message.version + 1, edited_at=now), revision


def retract(message: Message, actor_id: int, now: datetime) -> tuple[Message, Revision]:
    """The retracted message (text and attachments withdrawn) and the revision that keeps them."""
    _check_author_change(message, actor_id, "retract")
    revision = Revision(message.id, message.version, message.body, message.attachments, now, actor_id)
    return replace(message, body="", attachments=(), version=message.version + 1, retracted_at=now), revision


@dataclass(frozen=True, slots=True)
class Receipt:
    """What happened to one message for one recipient; each state has its own time."""

    message_id: int
    person_id: int
    delivered_at: datetime | None = None
    read_at: datetime | None = None
    acknowledged_at: datetime | None = None

    @property
    def state(self) -> str:
        if self.acknowledged_at is not None:
            return "acknowledged"
        if self.read_at is not None:
            return "read"
        if self.delivered_at is not None:
            return "delivered"
        return "pending"


def mark_delivered(receipt: Receipt, now: datetime) -> Receipt:
    """Idempotent: the first delivery time stays."""
    return receipt if receipt.delivered_at is not None else replace(receipt, delivered_at=now)


def mark_read(receipt: Receipt, now: datetime) -> Receipt:
    """Reading implies delivery; the first read time stays."""
    receipt = mark_delivered(receipt, now)
    return receipt if receipt.read_at is not None else replace(receipt, read_at=now)


def mark_acknowledged(receipt: Receipt, now: datetime) -> Receipt:
    """Acknowledging implies reading; the first acknowledgement time stays."""
    receipt = mark_read(receipt, now)
    return receipt if receipt.acknowledged_at is not None else replace(receipt, acknowledged_at=now)
