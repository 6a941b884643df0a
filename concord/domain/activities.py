"""Unilateral national activities: notified by one nation for deconfliction only.

No approval and no participants: the centre records the activity, checks it against operations,
other activities and protected sites, and warns whoever is concerned. The notifying nation may
withdraw it; a material change simply replaces the footprint.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from shapely.geometry.base import BaseGeometry

from concord.domain.coordination_fields import text
from concord.domain.deconfliction import Footprint
from concord.domain.errors import Invalid, StateConflict
from concord.domain.markings import Level, Marking
from concord.domain.operations import AltitudeBand, Window, check_altitude, check_nation, check_window


class ActivityStatus(StrEnum):
    NOTIFIED = "notified"
    WITHDRAWN = "withdrawn"



def default_activity_marking(nation: str) -> Marking:
    """A national activity is the nation's own unless it releases it: RESTRICTED, itself only."""
    return Marking.build(Level.RESTRICTED, nation, [nation])

@dataclass(frozen=True, slots=True)
class ActivitySpec:
    nation: str
    name: str
    description: str
    marking: Marking
    area: BaseGeometry
    window: Window
    altitude: AltitudeBand | None = None

    def footprint(self, key: str, standoff_m: float) -> Footprint:
        band = (self.altitude.low_m, self.altitude.high_m) if self.altitude else None
        return Footprint(key, self.area, standoff_m, self.window.starts_at, self.window.ends_at, band)


def activity_key(activity_id: int) -> str:
    return f"activity:{activity_id}"


def check_activity(spec: ActivitySpec, known_nations: Collection[str]) -> ActivitySpec:
    check_nation(spec.nation, known_nations, "nation")
    if spec.marking.originator != spec.nation:
        raise Invalid("the notifying nation originates the activity's marking", field="marking.originator")
    return ActivitySpec(
        spec.nation,
        text(spec.name, "name", max_length=200),
        text(spec.description, "description", max_length=4000, required=False),
        spec.marking,
        spec.area,
        check_window(spec.window, "window"),
        check_altitude(spec.altitude, "altitude"),
    )


def check_change(status: ActivityStatus) -> None:
    if status != ActivityStatus.NOTIFIED:
        raise StateConflict(f"a {status.value} activity cannot change", field="status")
