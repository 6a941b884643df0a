"""The two-person rule for privileged changes to a nation's accounts.

Appointing a commander or an administrator, and resetting a commander's password, hand one person
the keys of a nation (a commander approves operations for it; an administrator makes commanders).
One person asks, a second person of the same nation confirms: another administrator or the sitting
commander, never the one who asked and never the person it is about. Nobody appoints himself.
The system itself (`concord init`, the demo, a host operator's CLI) is not bound: it acts for the
whole installation and leaves its own audit trail.
"""

from __future__ import annotations

from enum import StrEnum

from concord.domain.errors import Forbidden
from concord.domain.people import Actor, Role

#: Roles whose appointment needs a second person.
PRIVILEGED_ROLES = frozenset({Role.COMMANDER, Role.ADMINISTRATOR})


class RequestKind(StrEnum):
    APPOINTMENT = "appointment"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a kind of request, not a password)


class RequestState(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REFUSED = "refused"


def needs_second_person(role: Role) -> bool:
    return role in PRIVILEGED_ROLES


def check_not_self(actor: Actor, person_id: int) -> None:
    if actor.person_id == person_id:
        raise Forbidden("nobody appoints himself or resets his own password this way", field="person_id")


def check_may_confirm(actor: Actor, *, nation: str, requested_by: int, person_id: int) -> None:
    """The second person: of the request's nation, an administrator or the commander, neither the
    one who asked nor the one it is about."""
    if actor.nation != nation:
        raise Forbidden("only a person of the same nation confirms its privileged requests", field="nation")
    actor.require(Role.ADMINISTRATOR, Role.COMMANDER, action="confirming a privileged request")
    if actor.person_id == requested_by:
        raise Forbidden("a second person confirms: not the one who asked", field="request_id")
    if actor.person_id == person_id:
        raise Forbidden("the person a request is about does not confirm it", field="request_id")
