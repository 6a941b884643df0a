"""Channels: where messages are posted, who may read and post, and the marking ceiling.

Kinds: one centre-wide channel, one per nation (internal to it), one per operation and per
incident (members chosen by those features), and direct conversations between two people.

Membership says who takes part; the marking policy (`can_see`) still decides, message by
message, who receives what: a member without the clearance or nation for a message never
receives it. Every message's marking must lie within the channel's maximum marking.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from concord.domain.errors import Forbidden, Invalid, NotFound
from concord.domain.markings import Level, Marking, Reader, can_see, check_nation_code

MAX_NAME_CHARS = 80

#: Roles that may read channels but never post in them.
READ_ONLY_ROLES: frozenset[str] = frozenset({"observer"})


class ChannelKind(StrEnum):
    CENTRE = "centre"
    NATION = "nation"
    OPERATION = "operation"
    INCIDENT = "incident"
    DIRECT = "direct"


@dataclass(frozen=True, slots=True)
class Participant:
    """A person acting in channels, reduced to what the rules need."""

    person_id: int
    nation: str
    clearance: Level
    roles: frozenset[str] = frozenset()
    may_read: bool = True

    @property
    def reader(self) -> Reader:
        return Reader(self.person_id, self.nation, self.clearance, self.may_read)


@dataclass(frozen=True, slots=True)
class Membership:
    person_id: int
    may_post: bool = True


@dataclass(frozen=True, slots=True)
class Channel:
    id: int | None
    kind: ChannelKind
    name: str
    max_marking: Marking
    nation: str | None = None  # NATION: the nation it belongs to
    subject_id: str | None = None  # OPERATION / INCIDENT: the item it is about
    members: frozenset[int] = field(default_factory=frozenset)  # DIRECT: the two people


def check_name(name: object) -> str:
    if not isinstance(name, str):
        raise Invalid("name must be text", field="name")
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned:
        raise Invalid("name must not be empty", field="name")
    if len(cleaned) > MAX_NAME_CHARS:
        raise Invalid(f"name is longer than {MAX_NAME_CHARS} characters", field="name")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in cleaned):
        raise Invalid("name must not contain control characters", field="name")
    return cleaned


def new_channel(
    kind: ChannelKind | str,
    name: str,
    max_marking: Marking,
    *,
    nation: str | None = None,
    subject_id: str | None = None,
    members: Iterable[int] = (),
) -> Channel:
    """A validated channel (not yet stored: `id` is None)."""
    try:
        kind = ChannelKind(kind)
    except ValueError:
        kinds = ", ".join(k.value for k in ChannelKind)
        raise Invalid(f"kind must be one of {kinds}", field="kind") from None
    cleaned = check_name(name)
    people = frozenset(members)
    if kind is ChannelKind.NATION:
        if nation is None:
            raise Invalid("a nation's channel names its nation", field="nation")
        try:
            check_nation_code(nation)
        except ValueError as exc:
            raise Invalid(str(exc), field="nation") from None
        if max_marking.originator != nation or max_marking.audience != {nation}:
            raise Invalid(
                f"a nation's channel is internal to {nation}: its maximum marking must release to it alone",
                field="max_marking",
            )
    elif nation is not None:
        raise Invalid("only a nation's channel names a nation", field="nation")
    if kind in (ChannelKind.OPERATION, ChannelKind.INCIDENT):
        if not subject_id:
            raise Invalid(f"a {kind.value} channel names the {kind.value} it is about", field="subject_id")
    elif subject_id is not None:
        raise Invalid("only operation and incident channels name a subject", field="subject_id")
    if kind is ChannelKind.DIRECT:
        if len(people) != 2:
            raise Invalid("a direct conversation is between exactly two different people", field="members")
    elif people and kind is not ChannelKind.OPERATION and kind is not ChannelKind.INCIDENT:
        raise Invalid(f"a {kind.value} channel has no listed members", field="members")
    return Channel(None, kind, cleaned, max_marking, nation, subject_id, people)


def may_read_channel(channel: Channel, who: Participant, membership: Membership | None) -> bool:
    """Whether `who` takes part in `channel` at all (each message is still checked with `can_see`).

    A channel exists only for the nations its maximum marking releases to: for anyone else it is
    absent (not listed, no history, no posting), whatever its kind or membership. The level of the
    ceiling is not asked: it bounds the messages, each of which `can_see` checks."""
    if not who.may_read or who.nation not in channel.max_marking.audience:
        return False
    if channel.kind is ChannelKind.CENTRE:
        return True
    if channel.kind is ChannelKind.NATION:
        return who.nation == channel.nation
    if channel.kind is ChannelKind.DIRECT:
        return who.person_id in channel.members
    return membership is not None and membership.person_id == who.person_id


def check_may_post(channel: Channel, who: Participant, membership: Membership | None) -> None:
    """Raise NotFound when `who` cannot see the channel, Forbidden when they may read but not post."""
    if not may_read_channel(channel, who, membership):
        raise NotFound("no such channel", field="channel_id")
    if who.roles and who.roles <= READ_ONLY_ROLES:
        raise Forbidden("observers may read channels but not post", field="channel_id")
    if membership is not None and not membership.may_post:
        raise Forbidden("this member may read the channel but not post in it", field="channel_id")


def check_marking_within(channel: Channel, marking: Marking, author_nation: str) -> None:
    """A message is originated by its author's nation and lies within the channel's maximum marking."""
    ceiling = channel.max_marking
    if marking.originator != author_nation:
        raise Invalid(
            f"a message is originated by its author's nation ({author_nation})", field="marking.originator"
        )
    if marking.level > ceiling.level:
        raise Invalid(
            f"level {marking.level.name} is above this channel's maximum {ceiling.level.name}",
            field="marking.level",
        )
    beyond = marking.audience - ceiling.audience
    if beyond:
        raise Invalid(
            f"this channel's maximum marking does not release to {', '.join(sorted(beyond))}",
            field="marking.releasable_to",
        )


def receives(channel: Channel, who: Participant, membership: Membership | None, marking: Marking) -> bool:
    """Whether `who` receives a message with `marking` posted in `channel`."""
    return may_read_channel(channel, who, membership) and can_see(who.reader, marking)
