"""What the deconfliction engine is built from: every deconflicted item's footprint, read fast.

Unfiltered by design: the engine sees everything so that it can warn across markings; what a
person is shown is decided later, in `storage.conflicts.for_reader`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Connection, select

from concord.clock import utc
from concord.domain.activities import ActivityStatus
from concord.domain.deconfliction import Footprint
from concord.domain.operations import DECONFLICTED
from concord.domain.sites import SiteStatus
from concord.storage.activities import national_activities as acts
from concord.storage.conflicts import split_key
from concord.storage.operations import operations as ops
from concord.storage.sites import protected_sites as sites

EVENT_KINDS_PREFIXES = ("operation.", "activity.", "site.")


def _time(value: datetime | None) -> datetime | None:
    return utc(value) if value is not None else None


def _band(low: float | None, high: float | None) -> tuple[float, float] | None:
    return (low, high) if low is not None and high is not None and not math.isnan(low) else None


def all_footprints(conn: Connection, standoff_m: float) -> list[Footprint]:
    """Every operation (proposed, approved, active), notified activity and current site."""
    out: list[Footprint] = []
    statuses = [s.value for s in DECONFLICTED]
    rows = conn.execute(select(ops.c.id, ops.c.area_wkb, ops.c.starts_at, ops.c.ends_at, ops.c.altitude_low_m,
                               ops.c.altitude_high_m).where(ops.c.status.in_(statuses))).all()
    out.extend(_many("operation", rows, standoff_m))
    rows = conn.execute(select(acts.c.id, acts.c.area_wkb, acts.c.starts_at, acts.c.ends_at, acts.c.altitude_low_m,
                               acts.c.altitude_high_m).where(acts.c.status == ActivityStatus.NOTIFIED.value)).all()
    out.extend(_many("activity", rows, standoff_m))
    site_rows = conn.execute(select(sites.c.id, sites.c.geometry_wkb, sites.c.buffer_m, sites.c.starts_at,
                                    sites.c.ends_at).where(sites.c.status != SiteStatus.RETIRED.value)).all()
    site_wkbs: Any = np.array([r.geometry_wkb for r in site_rows], dtype=object)
    geoms = shapely.from_wkb(site_wkbs)
    out.extend(Footprint(f"site:{r.id}", g, r.buffer_m, _time(r.starts_at), _time(r.ends_at))
               for r, g in zip(site_rows, geoms, strict=True))
    return out


def _many(kind: str, rows: Sequence[Any], standoff_m: float) -> list[Footprint]:
    # One vectorised WKB parse for all rows: the start-up rebuild must stay within seconds at 100k.
    wkbs: Any = np.array([r[1] for r in rows], dtype=object)
    geoms = shapely.from_wkb(wkbs)
    return [Footprint(f"{kind}:{r[0]}", g, standoff_m, _time(r[2]), _time(r[3]), _band(r[4], r[5]))
            for r, g in zip(rows, geoms, strict=True)]


def footprint_of(conn: Connection, key: str, standoff_m: float) -> Footprint | None:
    """The current footprint of one item, or None when it is not (or no longer) deconflicted."""
    kind, ident = split_key(key)
    if kind == "operation":
        query = select(ops.c.id, ops.c.area_wkb, ops.c.starts_at, ops.c.ends_at, ops.c.altitude_low_m,
                       ops.c.altitude_high_m).where(ops.c.id == ident,
                                                    ops.c.status.in_([s.value for s in DECONFLICTED]))
        return next(iter(_many("operation", list(conn.execute(query).all()), standoff_m)), None)
    if kind == "activity":
        query = select(acts.c.id, acts.c.area_wkb, acts.c.starts_at, acts.c.ends_at, acts.c.altitude_low_m,
                       acts.c.altitude_high_m).where(acts.c.id == ident,
                                                     acts.c.status == ActivityStatus.NOTIFIED.value)
        return next(iter(_many("activity", list(conn.execute(query).all()), standoff_m)), None)
    row = conn.execute(select(sites).where(sites.c.id == ident, sites.c.status != SiteStatus.RETIRED.value)).first()
    if row is None:
        return None
    return Footprint(key, shapely.from_wkb(row.geometry_wkb), row.buffer_m, _time(row.starts_at), _time(row.ends_at))
