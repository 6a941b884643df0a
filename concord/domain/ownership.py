"""Ownership: who may change an item, and whose decision a decision is.

The twin of visibility (`concord.domain.markings.can_see`): visibility says who may *read* an item,
ownership says who may *change* it. Every write service asks this module; none restates the rule.

The rule:

1. **Items belong to their originating nation.** Only people of that nation change, retire, revoke,
   withdraw, narrow, widen or delete it, and only through the roles `CHANGERS` names for its kind
   (a TUR watch officer cannot retire an IRQ protected site, whoever may see it).
2. **Authored items belong to their author.** A message is changed (edited, retracted) by the one
   person who wrote it, so never by anyone of another nation: rule 1, narrowed to a person.
3. **Decisions belong to the nation they concern.** An approval of an operation, an acknowledgement
   of a message or an incident, an override or a resolution of a conflict is given by a nation on its
   own behalf: by someone of a nation whose item or whose participation the decision is about,
   holding one of the roles `DECIDERS` names for it. No nation decides for another.

A caller that may not even see the item gets `NotFound` from the visibility rule before it is asked
here; a caller who may see the item but does not own it (or is not concerned by the decision) gets
`Forbidden`.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from concord.domain.errors import Forbidden
from concord.domain.people import Actor, Role

_ALL_STAFF = frozenset({Role.COMMANDER, Role.LIAISON_OFFICER, Role.ANALYST, Role.WATCH_OFFICER})
_PLANNERS = frozenset({Role.COMMANDER, Role.LIAISON_OFFICER})


class Kind(StrEnum):
    """Kinds of item that carry an owner (their originating nation)."""

    SITE = "site"
    ACTIVITY = "activity"
    OPERATION = "operation"
    INTEL_OBJECT = "intel_object"
    INCIDENT = "incident"
    CHANNEL = "channel"
    RFI = "rfi"
    RELEASE = "release"
    MESSAGE = "message"
    NATION = "nation"  # a partner's own name and classification labels
    MAP_SOURCE = "map_source"  # a centre's own map data (a tile archive or a tile server)


#: For each kind, the roles of the owning nation that may change it.
CHANGERS: dict[Kind, frozenset[Role]] = {
    Kind.SITE: _ALL_STAFF,
    Kind.ACTIVITY: _PLANNERS,
    Kind.OPERATION: _PLANNERS,
    Kind.INTEL_OBJECT: _ALL_STAFF,
    Kind.INCIDENT: _ALL_STAFF,
    Kind.CHANNEL: frozenset({Role.ADMINISTRATOR}),
    Kind.RFI: frozenset({Role.COMMANDER, Role.LIAISON_OFFICER, Role.ANALYST}),
    Kind.RELEASE: _PLANNERS,
    Kind.NATION: frozenset({Role.ADMINISTRATOR}),
    Kind.MAP_SOURCE: frozenset({Role.ADMINISTRATOR}),
}

#: Kinds whose items belong to the one person who wrote them (rule 2), whatever their roles.
AUTHORED: frozenset[Kind] = frozenset({Kind.MESSAGE})


class Decision(StrEnum):
    """Decisions a nation takes on its own behalf."""

    APPROVAL = "approval"  # of an operation version
    OVERRIDE = "override"  # of a conflict, for an operation version
    CONFLICT_STEP = "conflict_step"  # acknowledging or resolving a conflict
    ACKNOWLEDGEMENT = "acknowledgement"  # of a message or a notification


#: For each decision, the roles (of a concerned nation) that may take it.
DECIDERS: dict[Decision, frozenset[Role]] = {
    Decision.APPROVAL: frozenset({Role.COMMANDER}),
    Decision.OVERRIDE: frozenset({Role.COMMANDER}),
    Decision.CONFLICT_STEP: frozenset({Role.COMMANDER, Role.LIAISON_OFFICER, Role.WATCH_OFFICER}),
    Decision.ACKNOWLEDGEMENT: frozenset({Role.COMMANDER, Role.LIAISON_OFFICER, Role.WATCH_OFFICER}),
}


def require_owner(actor: Actor, owner: str, kind: Kind, *, action: str) -> None:
    """Raise Forbidden unless `actor` may change the item (rule 1); `action` names it in the message."""
    if actor.nation != owner:
        raise Forbidden(f"only {owner}, the nation that originated this {kind.value}, may {action}",
                        field="originator", details={"owner": owner})
    actor.require(*sorted(CHANGERS[kind]), action=f"to {action} ({kind.value})")


def require_author(person_id: int, author_id: int, kind: Kind, *, action: str) -> None:
    """Raise Forbidden unless the person wrote the item (rule 2); `action` names the change."""
    assert kind in AUTHORED, kind
    if person_id != author_id:
        raise Forbidden(f"only the author may {action} a {kind.value}", field=f"{kind.value}_id")


def require_concerned(nation: str, concerned: Collection[str], *, action: str) -> None:
    """Raise Forbidden unless `nation` is among the nations a decision concerns (rule 3)."""
    if nation not in concerned:
        raise Forbidden(f"{nation} is not concerned: {action} belongs to "
                        f"{', '.join(sorted(concerned)) or 'no nation'}", field="nation")


def require_decider(actor: Actor, concerned: Collection[str], decision: Decision, *, action: str) -> None:
    """Raise Forbidden unless `actor`'s nation is among the `concerned` nations and the actor holds a
    role that takes `decision` (rule 3)."""
    require_concerned(actor.nation, concerned, action=action)
    actor.require(*sorted(DECIDERS[decision]), action=action)
