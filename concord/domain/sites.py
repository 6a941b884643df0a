"""Protected sites and humanitarian movements: places no operation may come near unnoticed.

Hospitals, schools, places of worship, camps and humanitarian premises are points or polygons with
a protection buffer in metres; a notified humanitarian movement is a route (LineString) with a time
window. Any nation may add them. A notification is not an approval: it is recorded, deconflicted and
acknowledged by someone at the centre, nothing more.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from shapely.geometry.base import BaseGeometry

from concord.domain import times
from concord.domain.coordination_fields import text
from concord.domain.deconfliction import Footprint
from concord.domain.errors import Invalid, StateConflict
from concord.domain.geo import ROUTE_TYPES, SITE_TYPES, parse_geometry
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.operations import Window, check_window

MAX_BUFFER_M = 50_000.0
#: A site is notified so that no nation plans over it: unless its nation says otherwise, every
#: partner may see it (UNCLASSIFIED, TLP:CLEAR, releasable to every nation of the centre).
DEFAULT_SITE_LEVEL = Level.UNCLASSIFIED
DEFAULT_SITE_TLP = Tlp.CLEAR


class SiteKind(StrEnum):
    HOSPITAL = "hospital"
    SCHOOL = "school"
    PLACE_OF_WORSHIP = "place_of_worship"
    CAMP = "camp"
    HUMANITARIAN_PREMISES = "humanitarian_premises"
    HUMANITARIAN_MOVEMENT = "humanitarian_movement"


#: Protection buffer when none is given (metres): a working assumption the adding nation may change.
DEFAULT_BUFFER_M: dict[SiteKind, float] = {
    SiteKind.HOSPITAL: 500.0,
    SiteKind.SCHOOL: 300.0,
    SiteKind.PLACE_OF_WORSHIP: 300.0,
    SiteKind.CAMP: 1_000.0,
    SiteKind.HUMANITARIAN_PREMISES: 300.0,
    SiteKind.HUMANITARIAN_MOVEMENT: 500.0,
}


class SiteStatus(StrEnum):
    NOTIFIED = "notified"  # recorded and deconflicted, not yet seen by anyone at the centre
    ACKNOWLEDGED = "acknowledged"  # someone at the centre has acknowledged the notification
    RETIRED = "retired"  # no longer there; out of deconfliction


@dataclass(frozen=True, slots=True)
class SiteSpec:
    kind: SiteKind
    name: str
    geometry: BaseGeometry
    buffer_m: float
    marking: Marking
    window: Window | None = None
    notes: str = ""

    def footprint(self, key: str) -> Footprint:
        window = self.window
        return Footprint(
            key,
            self.geometry,
            self.buffer_m,
            window.starts_at if window else None,
            window.ends_at if window else None,
        )


def site_marking(nation: str, partners: Iterable[str], level: Level = DEFAULT_SITE_LEVEL,
                 tlp: Tlp = DEFAULT_SITE_TLP) -> Marking:
    """The marking of a site `nation` notifies to every partner (the API's and the import's default)."""
    return Marking.build(level, nation, partners, tlp)


def site_key(site_id: int) -> str:
    return f"site:{site_id}"


def parse_kind(value: Any, field: str) -> SiteKind:
    try:
        return SiteKind(value)
    except ValueError:
        raise Invalid(f"a site kind is one of {', '.join(k.value for k in SiteKind)}", field=field) from None


def site_geometry(kind: SiteKind, value: Any, field: str) -> BaseGeometry:
    allowed = ROUTE_TYPES if kind == SiteKind.HUMANITARIAN_MOVEMENT else SITE_TYPES
    return parse_geometry(value, field, allowed)


def check_buffer(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Invalid("a buffer is a number of metres", field=field)
    if not 0 <= value <= MAX_BUFFER_M:
        raise Invalid(f"a buffer is between 0 and {MAX_BUFFER_M:g} metres", field=field)
    return float(value)


def check_site(spec: SiteSpec, prefix: str = "") -> SiteSpec:
    name = text(spec.name, f"{prefix}name", max_length=200)
    notes = text(spec.notes, f"{prefix}notes", max_length=4000, required=False)
    buffer_m = check_buffer(spec.buffer_m, f"{prefix}buffer_m")
    window = check_window(spec.window, f"{prefix}window") if spec.window is not None else None
    if spec.kind == SiteKind.HUMANITARIAN_MOVEMENT and window is None:
        raise Invalid("a humanitarian movement has a time window", field=f"{prefix}window")
    return SiteSpec(spec.kind, name, spec.geometry, buffer_m, spec.marking, window, notes)


def check_acknowledge(status: SiteStatus) -> None:
    if status != SiteStatus.NOTIFIED:
        raise StateConflict(f"a {status.value} site cannot be acknowledged", field="status")


def site_from_feature(feature: Any, index: int, marking: Marking) -> SiteSpec:
    """One feature of an imported FeatureCollection (`concord sites import`), checked.

    Properties: `kind` (required), `name` (required), `buffer_m`, `starts_at`/`ends_at` (ISO 8601,
    required for a humanitarian movement), `notes`.
    """
    path = f"features[{index}]"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise Invalid("expected a GeoJSON Feature", field=f"{path}.type")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise Invalid("properties is an object", field=f"{path}.properties")
    kind = parse_kind(props.get("kind"), f"{path}.properties.kind")
    geometry = site_geometry(kind, feature.get("geometry"), f"{path}.geometry")
    buffer_m = props.get("buffer_m", DEFAULT_BUFFER_M[kind])
    window = None
    if props.get("starts_at") is not None or props.get("ends_at") is not None:
        window = Window(
            _time(props.get("starts_at"), f"{path}.properties.starts_at"),
            _time(props.get("ends_at"), f"{path}.properties.ends_at"),
        )
    spec = SiteSpec(
        kind, str(props.get("name") or ""), geometry, buffer_m, marking, window, str(props.get("notes") or "")
    )
    return check_site(spec, prefix=f"{path}.properties.")


def _time(value: Any, field: str) -> datetime:
    return times.parse_utc(value, field)
