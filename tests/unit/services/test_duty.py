"""The duty roster service (`services.duty`): a nation plans its own watch; the roster is known
centre-wide."""

from __future__ import annotations

from datetime import timedelta

import pytest

from concord.centre import Centre
from concord.clock import FixedClock
from concord.domain.errors import Forbidden, Invalid, NotFound
from concord.domain.people import Role
from tests.factories import person


def test_a_nation_plans_its_own_watch_and_everyone_sees_the_roster(centre: Centre, clock: FixedClock) -> None:
    tur_commander = centre.people.actor(person(centre, "TUR", (Role.COMMANDER,))[0])
    tur_analyst = centre.people.actor(person(centre, "TUR", (Role.ANALYST,))[0])
    tur_watch, _ = person(centre, "TUR", (Role.WATCH_OFFICER,))
    irq_watch, _ = person(centre, "IRQ", (Role.WATCH_OFFICER,))
    start, end = clock.now(), clock.now() + timedelta(hours=8)
    with pytest.raises(NotFound):  # another nation's person is not found among one's own
        centre.duty.add_shift(tur_commander, person_id=irq_watch, starts_at=start, ends_at=end)
    with pytest.raises(Forbidden):
        centre.duty.add_shift(tur_analyst, person_id=tur_watch, starts_at=start, ends_at=end)
    shift_id = centre.duty.add_shift(tur_commander, person_id=tur_watch, starts_at=start, ends_at=end)
    assert [(i, s.person_id) for i, s in centre.duty.on_duty()] == [(shift_id, tur_watch)]
    assert centre.duty.on_duty(nation="IRQ") == []
    with pytest.raises(Invalid):
        centre.duty.on_duty(nation="TURKEY")
