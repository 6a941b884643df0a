"""The duty roster (`storage.duty`): who is on shift, per nation, at a moment."""

from __future__ import annotations

from datetime import timedelta

from concord.centre import Centre
from concord.clock import FixedClock
from concord.domain.duty import Shift
from concord.storage import duty
from tests.factories import person


def test_a_shift_covers_its_start_but_not_its_end(centre: Centre, clock: FixedClock) -> None:
    tur, _ = person(centre, "TUR")
    irq, _ = person(centre, "IRQ")
    start = clock.now()
    with centre.db.write() as tx:
        duty.add_shift(tx.conn, Shift("TUR", tur, start, start + timedelta(hours=8)), None)
        duty.add_shift(tx.conn, Shift("IRQ", irq, start + timedelta(hours=8), start + timedelta(hours=16)), None)
    with centre.db.read() as conn:
        assert [s.person_id for _, s in duty.shifts_covering(conn, start)] == [tur]
        assert duty.is_on_duty(conn, tur, "TUR", start)
        assert not duty.is_on_duty(conn, tur, "TUR", start + timedelta(hours=8))
        assert not duty.is_on_duty(conn, tur, "IRQ", start)  # on duty for their own nation only
        assert [s.nation for _, s in duty.shifts_covering(conn, start + timedelta(hours=8), "IRQ")] == ["IRQ"]
