"""Who must acknowledge a FLASH or IMMEDIATE message, by when, and what happens when they don't.

* Each recipient nation owes one acknowledgement: by its on-duty watch officer or by any of its
  people holding one of the configured roles (`AckPolicy.ack_roles`). The author's own nation owes
  none when other nations receive the message; on a channel internal to one nation, that nation
  owes it (someone other than the author). In a direct conversation the other person owes it.
* Deadlines run from the posting time, per precedence (default FLASH 10 min, IMMEDIATE 30 min).
* When a nation's acknowledgement is overdue the message escalates: an escalation goes to that
  nation's commanders and the author, and recipients are notified again; it repeats every
  `renotify_every` until the nation acknowledges (or the author retracts the message).

Pure functions; `now` is an argument, so a test moves the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from concord.domain.channels import Channel, ChannelKind, Participant
from concord.domain.errors import Forbidden, Invalid, StateConflict
from concord.domain.messages import Message, Precedence
from concord.domain.ownership import require_concerned

WATCH_OFFICER = "watch_officer"


def _minutes(**by_precedence: int) -> dict[Precedence, timedelta]:
    return {Precedence[name]: timedelta(minutes=value) for name, value in by_precedence.items()}


@dataclass(frozen=True)
class AckPolicy:
    deadlines: Mapping[Precedence, timedelta] = field(
        default_factory=lambda: _minutes(FLASH=10, IMMEDIATE=30)
    )
    renotify_every: Mapping[Precedence, timedelta] = field(
        default_factory=lambda: _minutes(FLASH=5, IMMEDIATE=15)
    )
    #: Roles (besides the on-duty watch officer) whose holders may acknowledge for their nation.
    ack_roles: frozenset[str] = frozenset({"commander"})

    def __post_init__(self) -> None:
        for precedence, span in self.deadlines.items():
            if span <= timedelta(0):
                raise Invalid(f"the {precedence.name} deadline must be positive", field="deadlines")
            every = self.renotify_every.get(precedence)
            if every is None or every <= timedelta(0):
                message = f"{precedence.name} needs a positive re-notification interval"
                raise Invalid(message, field="renotify_every")

    def needs_ack(self, precedence: Precedence) -> bool:
        return precedence in self.deadlines

    def deadline(self, message: Message) -> datetime | None:
        span = self.deadlines.get(message.precedence)
        return None if span is None else message.posted_at + span


def owing_nations(message: Message, channel: Channel, recipient_nations: Iterable[str]) -> frozenset[str]:
    """The nations that owe an acknowledgement, given the nations of the people who receive it."""
    nations = frozenset(recipient_nations)
    others = nations - {message.author_nation}
    if others:
        return others
    return nations  # internal to the author's nation (or a direct conversation inside it)


@dataclass(frozen=True, slots=True)
class NationAck:
    """The acknowledgement one nation owes for one message."""

    message_id: int
    nation: str
    acknowledged_by: int | None = None
    acknowledged_at: datetime | None = None
    escalations: int = 0  # how many escalations were raised so far
    last_escalated_at: datetime | None = None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None


def requirements(policy: AckPolicy, message: Message, owing: Iterable[str]) -> list[NationAck]:
    """The acknowledgements to record when a message is posted (none for ROUTINE and PRIORITY)."""
    assert message.id is not None
    if not policy.needs_ack(message.precedence):
        return []
    return [NationAck(message.id, nation) for nation in sorted(owing)]


def acknowledging_nation(
    policy: AckPolicy,
    message: Message,
    channel: Channel,
    who: Participant,
    *,
    on_duty: bool,
    owed: Iterable[NationAck],
) -> str:
    """The nation for which `who` acknowledges `message`; raises when they may not.

    `on_duty`: whether `who` is on shift as watch officer of their nation now. The caller has
    already checked that `who` receives the message (else it is NotFound for them).
    """
    if not policy.needs_ack(message.precedence):
        raise StateConflict(f"{message.precedence.name} messages need no acknowledgement", field="message_id")
    if message.retracted:
        raise StateConflict("the message was retracted", field="message_id")
    if who.person_id == message.author_id:
        raise Forbidden("the author cannot acknowledge their own message", field="message_id")
    owed_by_nation = {a.nation: a for a in owed}
    require_concerned(who.nation, owed_by_nation, action="acknowledging this message")
    entry = owed_by_nation[who.nation]
    if entry.acknowledged:
        raise StateConflict(f"{who.nation} has already acknowledged this message", field="message_id")
    if channel.kind is ChannelKind.DIRECT:
        return who.nation  # the other person of the conversation
    if on_duty or who.roles & policy.ack_roles:
        return who.nation
    roles = ", ".join(sorted(policy.ack_roles)) or "none"
    raise Forbidden(
        f"only {who.nation}'s on-duty watch officer or a holder of these roles may acknowledge: {roles}",
        field="message_id",
    )


def acknowledge(entry: NationAck, person_id: int, now: datetime) -> NationAck:
    if entry.acknowledged:
        raise StateConflict(f"{entry.nation} has already acknowledged this message", field="message_id")
    return replace(entry, acknowledged_by=person_id, acknowledged_at=now)


@dataclass(frozen=True, slots=True)
class Escalation:
    message_id: int
    nation: str
    level: int  # 1 for the first escalation, 2 for the first re-notification after it, …
    due_at: datetime
    notify: frozenset[int]  # the nation's commanders and the author


def due_escalations(
    policy: AckPolicy,
    message: Message,
    owed: Iterable[NationAck],
    now: datetime,
    commanders: Mapping[str, Iterable[int]],
) -> list[Escalation]:
    """The escalations to raise now. Idempotent: once `escalations` is recorded, the same level is
    not raised again, and a loop that was down for several periods raises one, not a burst."""
    deadline = policy.deadline(message)
    if deadline is None or message.retracted or now < deadline:
        return []
    every = policy.renotify_every[message.precedence]
    level = 1 + (now - deadline) // every
    due = []
    for entry in owed:
        if entry.acknowledged or entry.escalations >= level:
            continue
        notify = frozenset(commanders.get(entry.nation, ())) | {message.author_id}
        due.append(Escalation(entry.message_id, entry.nation, level, deadline + (level - 1) * every, notify))
    return due


def record_escalation(entry: NationAck, escalation: Escalation, now: datetime) -> NationAck:
    return replace(entry, escalations=escalation.level, last_escalated_at=now)


def next_check(policy: AckPolicy, message: Message, owed: Iterable[NationAck]) -> datetime | None:
    """When the escalation loop next has something to do for this message (None: never again)."""
    deadline = policy.deadline(message)
    if deadline is None or message.retracted:
        return None
    pending = [e for e in owed if not e.acknowledged]
    if not pending:
        return None
    every = policy.renotify_every[message.precedence]
    return min(deadline + e.escalations * every for e in pending)


def status(policy: AckPolicy, message: Message, entry: NationAck, now: datetime) -> str:
    """`acknowledged`, `pending` (before the deadline) or `overdue`."""
    if entry.acknowledged:
        return "acknowledged"
    deadline = policy.deadline(message)
    return "overdue" if deadline is not None and now >= deadline else "pending"
