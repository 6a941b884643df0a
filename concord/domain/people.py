"""People, roles and appointments.

A person belongs to one nation and has a clearance. What they may *do* comes from appointments: a
role at the centre for their nation from an effective time to an optional end. Only appointments
current at the moment of the action count: a general appointed from next month cannot approve
anything today, and an ended appointment stops working at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from concord.domain.errors import Forbidden, Invalid
from concord.domain.markings import Level, Reader

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


class Role(StrEnum):
    COMMANDER = "commander"
    LIAISON_OFFICER = "liaison_officer"
    ANALYST = "analyst"
    WATCH_OFFICER = "watch_officer"
    OBSERVER = "observer"
    ADMINISTRATOR = "administrator"
    FIELD_UNIT = "field_unit"  # a TAK client in the field: reports positions, chat and markers


@dataclass(frozen=True, slots=True)
class Appointment:
    id: int
    person_id: int
    nation: str
    role: Role
    starts_at: datetime
    ends_at: datetime | None

    def is_current(self, now: datetime) -> bool:
        return self.starts_at <= now and (self.ends_at is None or now < self.ends_at)


@dataclass(frozen=True, slots=True)
class Actor:
    """A signed-in person at one moment: their nation, clearance and the roles current now."""

    person_id: int
    username: str
    display_name: str
    nation: str
    clearance: Level
    roles: frozenset[Role]

    @classmethod
    def at(cls, *, person_id: int, username: str, display_name: str, nation: str, clearance: Level,
           appointments: Iterable[Appointment], now: datetime) -> Actor:
        roles = frozenset(a.role for a in appointments if a.is_current(now) and a.nation == nation)
        return cls(person_id, username, display_name, nation, clearance, roles)

    @property
    def reader(self) -> Reader:
        # Someone with no current appointment holds no post at the centre and reads nothing.
        return Reader(self.person_id, self.nation, self.clearance, may_read=bool(self.roles))

    def has(self, role: Role) -> bool:
        return role in self.roles

    def require(self, *roles: Role, action: str) -> None:
        """Raise Forbidden unless the actor currently holds one of `roles`."""
        if not self.roles.intersection(roles):
            wanted = " or ".join(r.value for r in roles)
            raise Forbidden(f"{action} needs a current {wanted} appointment", details={"roles": list(roles)})

    def require_admin_of(self, nation: str) -> None:
        """Administrators manage only their own nation's people and appointments."""
        self.require(Role.ADMINISTRATOR, action="managing people")
        if nation != self.nation:
            raise Forbidden("administrators manage only their own nation's people and appointments",
                            field="nation")


def check_username(username: str) -> str:
    if not USERNAME.match(username or ""):
        raise Invalid("a username is 2 to 63 characters: lower-case letters, digits, '.', '_' or '-'",
                      field="username")
    return username


def check_display_name(name: str) -> str:
    if not name or not name.strip() or len(name) > 120:
        raise Invalid("a display name is 1 to 120 characters", field="display_name")
    return name.strip()


def check_appointment_window(starts_at: datetime, ends_at: datetime | None) -> None:
    if ends_at is not None and ends_at <= starts_at:
        raise Invalid("an appointment ends after it starts", field="ends_at")
