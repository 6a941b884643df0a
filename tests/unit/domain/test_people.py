from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from concord.domain.errors import Forbidden, Invalid
from concord.domain.markings import Level
from concord.domain.people import Actor, Appointment, Role, check_appointment_window, check_username

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


def actor(*appointments: Appointment, nation: str = "TUR") -> Actor:
    return Actor.at(person_id=1, username="x", display_name="X", nation=nation, clearance=Level.SECRET,
                    appointments=appointments, now=NOW)


def test_only_current_appointments_give_roles() -> None:
    future = Appointment(1, 1, "TUR", Role.COMMANDER, NOW + timedelta(days=30), None)
    ended = Appointment(2, 1, "TUR", Role.ANALYST, NOW - timedelta(days=30), NOW - timedelta(seconds=1))
    current = Appointment(3, 1, "TUR", Role.WATCH_OFFICER, NOW - timedelta(days=1), NOW + timedelta(days=1))
    a = actor(future, ended, current)
    assert a.roles == {Role.WATCH_OFFICER}
    with pytest.raises(Forbidden, match="commander"):
        a.require(Role.COMMANDER, action="approving an operation")


def test_no_appointment_means_no_reading() -> None:
    assert not actor().reader.may_read
    assert actor(Appointment(1, 1, "TUR", Role.OBSERVER, NOW, None)).reader.may_read


def test_administrators_manage_only_their_own_nation() -> None:
    admin = actor(Appointment(1, 1, "TUR", Role.ADMINISTRATOR, NOW, None))
    admin.require_admin_of("TUR")
    with pytest.raises(Forbidden, match="own nation"):
        admin.require_admin_of("IRQ")


def test_validation() -> None:
    with pytest.raises(Invalid):
        check_username("Bad Name")
    with pytest.raises(Invalid) as info:
        check_appointment_window(NOW, NOW)
    assert info.value.field == "ends_at"
