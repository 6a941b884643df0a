"""The duty roster: who is on shift as watch officer for each nation.

Shifts may overlap (a hand-over), and a nation may have no one on shift; acknowledgement then
falls to the holders of the acknowledging roles (see `concord.domain.acknowledgements`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from concord.domain.errors import Invalid
from concord.domain.markings import check_nation_code

MAX_SHIFT = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Shift:
    nation: str
    person_id: int
    starts_at: datetime
    ends_at: datetime

    def covers(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at


def new_shift(
    nation: str, person_id: int, person_nation: str, starts_at: datetime, ends_at: datetime
) -> Shift:
    try:
        check_nation_code(nation)
    except ValueError as exc:
        raise Invalid(str(exc), field="nation") from None
    if person_nation != nation:
        raise Invalid(f"a {nation} watch shift must be held by a {nation} person", field="person_id")
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value.tzinfo is None or value.utcoffset() != timedelta(0):
            raise Invalid("times are UTC (ISO 8601 with Z)", field=name)
    if ends_at <= starts_at:
        raise Invalid("a shift ends after it starts", field="ends_at")
    if ends_at - starts_at > MAX_SHIFT:
        raise Invalid("a shift lasts at most 24 hours", field="ends_at")
    return Shift(nation, person_id, starts_at, ends_at)


def on_duty(shifts: Iterable[Shift], nation: str, now: datetime) -> frozenset[int]:
    """The people on shift as `nation`'s watch officer at `now`."""
    return frozenset(s.person_id for s in shifts if s.nation == nation and s.covers(now))
