"""The centre a command works on, opened once per command from the environment's settings, and the
person a command acts as. Every command module takes both from here (none imports another's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from concord.domain.errors import Forbidden
from concord.settings import Settings

if TYPE_CHECKING:
    from concord.centre import Centre
    from concord.domain.people import Actor


def open_centre() -> Centre:
    """The centre of `Settings()`, migrated (imported here, not at start: `concord --help` stays quick)."""
    from concord.centre import Centre

    centre = Centre(Settings())
    centre.migrate()
    centre.verify_identity()  # a command signs, seals and issues with the centre's own keys only
    return centre


def actor_for(centre: Centre, username: str) -> Actor:
    """The person as they would be signed in now: their nation, clearance and current roles."""
    person = centre.people.find(username)
    if person.disabled:
        raise Forbidden(f"{username} is disabled", field="as")
    if not person.current_roles:
        raise Forbidden(f"{username} holds no current appointment and may read nothing", field="as")
    return centre.people.actor(person.id)
