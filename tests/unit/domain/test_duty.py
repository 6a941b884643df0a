from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from concord.domain.duty import new_shift, on_duty
from concord.domain.errors import Invalid

T0 = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
H = timedelta(hours=1)


def test_on_duty_follows_shifts_including_a_handover_overlap() -> None:
    night = new_shift("IRQ", 2, "IRQ", T0 - 12 * H, T0 + H)
    day = new_shift("IRQ", 3, "IRQ", T0, T0 + 12 * H)
    tur = new_shift("TUR", 1, "TUR", T0, T0 + 12 * H)
    shifts = [night, day, tur]
    assert on_duty(shifts, "IRQ", T0 - H) == {2}
    assert on_duty(shifts, "IRQ", T0 + H / 2) == {2, 3}
    assert on_duty(shifts, "IRQ", T0 + H) == {3}  # the end is exclusive
    assert on_duty(shifts, "IRQ", T0 + 12 * H) == frozenset()
    assert on_duty(shifts, "JOR", T0) == frozenset()


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("Iraq", 2, "Iraq", T0, T0 + H), "nation"),
        (("IRQ", 1, "TUR", T0, T0 + H), "person_id"),
        (("IRQ", 2, "IRQ", T0, T0), "ends_at"),
        (("IRQ", 2, "IRQ", T0, T0 + 25 * H), "ends_at"),
        (("IRQ", 2, "IRQ", T0.replace(tzinfo=None), T0 + H), "starts_at"),
        (("IRQ", 2, "IRQ", T0, (T0 + H).astimezone(timezone(timedelta(hours=3)))), "ends_at"),
    ],
)
def test_bad_shifts_name_the_field(args: tuple, field: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(Invalid) as err:
        new_shift(*args)
    assert err.value.field == field
