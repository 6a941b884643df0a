"""Conflicts: two footprints whose zones meet in space and time, and what each nation is told.

Lifecycle open → acknowledged → resolved (or open → resolved), each step by a named person with a
note.

**A conflict is cleared only by every nation whose item is in it** (`Concern.nations`: the
participants of an operation side, the nation that added a site or notified an activity). Each
concerned nation clears it for itself, in one of two ways: a commander of a nation taking part in an
operation of the conflict records an override, with a justification, for that operation's current
version (a new version needs a new override, as it needs new approvals); or someone of the nation
resolves it (`check_resolution`). The conflict's status becomes *resolved* once every concerned nation
has resolved it (or the centre finds the items no longer overlap). Until every concerned nation has
cleared it, it blocks the approval of every operation in it (`blocks`): one nation's override never
clears a conflict for another.

Across markings: a reader who may see one side but not the other is told only what
`ConflictWarning` holds — where and how large the overlap is, when, that it is another nation's
restricted activity and whom at the centre to contact. Not the other side's key, name, kind,
nation, marking, altitude or distance. "Where" and "when" are coarse (`Coarse`): the grid cells the
overlap touches and the whole hours it spans, so a planner who saves plans to probe with cannot
trace the hidden item's outline or window from the warnings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from concord.domain.errors import Forbidden, Invalid, StateConflict
from concord.domain.geo import area_m2, to_geojson
from concord.domain.operation_lifecycle import Approver, check_justification
from concord.domain.operations import Operation

RESTRICTED_OTHER_SIDE = "another nation's restricted activity"


class ConflictStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


STEPS: dict[ConflictStatus, frozenset[ConflictStatus]] = {
    ConflictStatus.OPEN: frozenset({ConflictStatus.ACKNOWLEDGED, ConflictStatus.RESOLVED}),
    ConflictStatus.ACKNOWLEDGED: frozenset({ConflictStatus.RESOLVED}),
    ConflictStatus.RESOLVED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Override:
    operation_key: str
    version: int
    person_id: int
    nation: str
    justification: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Conflict:
    id: int
    a_key: str  # the item whose check found the conflict
    b_key: str  # the other item (operation, activity or site)
    status: ConflictStatus
    overlap: BaseGeometry  # WGS84
    area_m2: float
    starts_at: datetime | None
    ends_at: datetime | None
    overrides: tuple[Override, ...] = ()

    def involves(self, key: str) -> bool:
        return key in (self.a_key, self.b_key)

    def other(self, key: str) -> str:
        return self.b_key if key == self.a_key else self.a_key


def check_step(conflict: Conflict, target: ConflictStatus, note: str | None) -> str:
    """Check a lifecycle step by a person; return the normalised note. Resolving is a step each
    concerned nation takes for itself, so it stays open to the others while the conflict is
    acknowledged (`check_resolution`)."""
    if target not in STEPS[conflict.status]:
        raise StateConflict(
            f"a {conflict.status.value} conflict cannot become {target.value}", field="status"
        )
    text = (note or "").strip()
    if not text:
        raise Invalid("each step of a conflict carries a note", field="note")
    if len(text) > 4000:
        raise Invalid("a note has at most 4000 characters", field="note")
    return text


@dataclass(frozen=True, slots=True)
class Concern:
    """Who a conflict concerns: the nations whose item (or participation) is in it, and the current
    version of each operation in it (an override counts only for its operation's current version)."""

    nations: frozenset[str]
    versions: dict[str, int]  # operation key -> current version


def cleared_by(conflict: Conflict, concern: Concern, resolved_by: frozenset[str]) -> frozenset[str]:
    """The concerned nations that have cleared the conflict: resolved it, or overridden it for an
    operation's current version."""
    overridden = {o.nation for o in conflict.overrides if concern.versions.get(o.operation_key) == o.version}
    return (resolved_by | overridden) & concern.nations


def awaiting(conflict: Conflict, concern: Concern, resolved_by: frozenset[str]) -> frozenset[str]:
    """The concerned nations that have not yet cleared the conflict (none once it is resolved)."""
    if conflict.status == ConflictStatus.RESOLVED:
        return frozenset()
    return concern.nations - cleared_by(conflict, concern, resolved_by)


def blocks(conflict: Conflict, op: Operation, concern: Concern, resolved_by: frozenset[str]) -> bool:
    """Does this conflict stand in the way of approving `op`? Yes while any concerned nation has not
    cleared it."""
    return conflict.involves(op.key) and bool(awaiting(conflict, concern, resolved_by))


def check_resolution(conflict: Conflict, nation: str, resolved_by: frozenset[str]) -> None:
    """A nation resolves a conflict once, for itself."""
    if nation in resolved_by:
        raise StateConflict(f"{nation} has already resolved this conflict; the other nations concerned "
                            "resolve it for themselves", field="status")


def status_after_resolution(conflict: Conflict, concern: Concern, resolved_by: frozenset[str]) -> ConflictStatus:
    """Resolved once every concerned nation has resolved it; acknowledged while some have."""
    if concern.nations <= resolved_by:
        return ConflictStatus.RESOLVED
    return ConflictStatus.ACKNOWLEDGED


def check_override(conflict: Conflict, op: Operation, approver: Approver, justification: str | None) -> str:
    """A commander of a nation taking part in `op` may override `conflict` for `op`'s current version."""
    if not conflict.involves(op.key):
        raise Invalid("this conflict does not concern that operation", field="operation_id")
    if conflict.status == ConflictStatus.RESOLVED:
        raise StateConflict("a resolved conflict needs no override", field="status")
    if approver.nation not in op.plan.participants:
        raise Forbidden(f"{approver.nation} does not take part in this operation", field="nation")
    if not approver.is_commander:
        raise Forbidden("an override needs a current commander appointment")
    return check_justification(justification)


@dataclass(frozen=True, slots=True)
class ConflictWarning:
    """What a nation learns of a conflict whose other side it may not see. Nothing else."""

    conflict_id: int
    status: ConflictStatus
    your_item: str
    overlap: dict[str, Any]  # GeoJSON geometry of the overlap
    area_m2: float
    starts_at: datetime | None
    ends_at: datetime | None
    other_side: str
    contact: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "conflict_id": self.conflict_id,
            "status": self.status.value,
            "your_item": self.your_item,
            "overlap": self.overlap,
            "area_m2": round(self.area_m2, 1),
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "other_side": self.other_side,
            "contact": self.contact,
            "restricted": True,
        }


#: A warning's "where": cells of this many degrees (about 5.5 km north–south), enough to steer a plan
#: clear of the area and call the centre, too coarse to trace an outline.
WARNING_CELL_DEGREES = 0.05
#: More cells than this (an overlap some 500 km across) and the warning gives the cells' bounding box.
_MAX_WARNING_CELLS = 40_000


@dataclass(frozen=True, slots=True)
class Coarse:
    """Where and when an overlap is, as a warning may tell it: the grid cells it touches and the whole
    hours it spans."""

    geometry: BaseGeometry
    area_m2: float
    starts_at: datetime | None
    ends_at: datetime | None

    @classmethod
    def of(cls, overlap: BaseGeometry, starts_at: datetime | None, ends_at: datetime | None) -> Coarse:
        cells = _cells(overlap)
        return cls(cells, area_m2(cells) if cells.area > 0 else 0.0, _hour_floor(starts_at), _hour_ceil(ends_at))


def _cells(geometry: BaseGeometry) -> BaseGeometry:
    if geometry.is_empty:
        return geometry
    d = WARNING_CELL_DEGREES
    minx, miny, maxx, maxy = geometry.bounds
    x0, y0 = math.floor(minx / d), math.floor(miny / d)
    xs = np.arange(x0, math.floor(maxx / d) + 1)
    ys = np.arange(y0, math.floor(maxy / d) + 1)
    def edge(i: Any) -> Any:
        # Rounded to whole decimals: neighbours share edges exactly and merge into one shape.
        return np.round(i * d, 6)

    if len(xs) * len(ys) > _MAX_WARNING_CELLS:
        return shapely.box(edge(xs[0]), edge(ys[0]), edge(xs[-1] + 1), edge(ys[-1] + 1))
    gx, gy = (g.ravel() for g in np.meshgrid(xs, ys))
    boxes = shapely.box(edge(gx), edge(gy), edge(gx + 1), edge(gy + 1))
    touched = boxes[shapely.intersects(boxes, geometry)]
    return shapely.union_all(touched).simplify(0).normalize()  # simplify(0): no in-line corners


def _hour_floor(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return _utc(moment).replace(minute=0, second=0, microsecond=0)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)  # stored times are UTC


def _hour_ceil(moment: datetime | None) -> datetime | None:
    floor = _hour_floor(moment)
    if moment is None or floor is None:
        return None
    return floor if floor == moment else floor + timedelta(hours=1)


def warning_for(conflict: Conflict, visible_key: str, contact: str) -> ConflictWarning:
    """The restricted view of `conflict` for a reader who may see `visible_key` only."""
    if not conflict.involves(visible_key):
        raise ValueError("the visible side must be one of the conflict's sides")
    coarse = Coarse.of(conflict.overlap, conflict.starts_at, conflict.ends_at)
    return ConflictWarning(
        conflict.id,
        conflict.status,
        visible_key,
        to_geojson(coarse.geometry),
        coarse.area_m2,
        coarse.starts_at,
        coarse.ends_at,
        RESTRICTED_OTHER_SIDE,
        contact,
    )
