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
from numpy.typing import NDArray
from sqlalchemy import Connection, Float, func, literal, select

from concord.clock import utc
from concord.domain.activities import ActivityStatus
from concord.domain.deconfliction import Footprint, FootprintTable
from concord.domain.operations import DECONFLICTED
from concord.domain.sites import SiteStatus
from concord.storage.activities import national_activities as acts
from concord.storage.conflicts import split_key
from concord.storage.operations import operations as ops
from concord.storage.sites import protected_sites as sites


def _time(value: datetime | None) -> datetime | None:
    return utc(value) if value is not None else None


def _band(low: float | None, high: float | None) -> tuple[float, float] | None:
    return (low, high) if low is not None and high is not None and not math.isnan(low) else None


def _epoch(conn: Connection, column: Any) -> Any:
    """Seconds since the epoch, computed by the database (parsing 200,000 datetimes in Python is slow)."""
    if conn.dialect.name == "sqlite":
        # julianday() reads SQLAlchemy's stored text, offset included; 2440587.5 is 1970-01-01T00:00Z.
        return (func.julianday(column) - 2440587.5) * 86400.0
    return func.extract("epoch", column)


def _seconds(values: Sequence[Any], open_end: float) -> NDArray[np.float64]:
    out = np.array([open_end if v is None else float(v) for v in values], dtype=np.float64)
    # julianday() carries ~50 µs of float error; windows are stored to the millisecond.
    return np.round(out, 3)


def _table(conn: Connection, kind: str, table: Any, geometry: Any, buffer: Any, where: Any,
           altitude: bool) -> FootprintTable:
    columns = [table.c.id, geometry, buffer, _epoch(conn, table.c.starts_at), _epoch(conn, table.c.ends_at)]
    if altitude:
        columns += [table.c.altitude_low_m, table.c.altitude_high_m]
    rows = conn.execute(select(*columns).where(where)).all()
    wkbs: Any = np.array([r[1] for r in rows], dtype=object)
    low = [r[5] if altitude else None for r in rows]
    high = [r[6] if altitude else None for r in rows]
    return FootprintTable(
        [f"{kind}:{r[0]}" for r in rows],
        shapely.from_wkb(wkbs) if rows else np.empty(0, dtype=object),
        np.array([float(r[2]) for r in rows], dtype=np.float64),
        _seconds([r[3] for r in rows], -math.inf),
        _seconds([r[4] for r in rows], math.inf),
        np.array([math.nan if v is None else v for v in low], dtype=np.float64),
        np.array([math.nan if v is None else v for v in high], dtype=np.float64),
    )


def all_footprints(conn: Connection, standoff_m: float) -> FootprintTable:
    """Every operation (proposed, approved, active), notified activity and current site, as arrays."""
    standoff = literal(standoff_m, Float)
    return FootprintTable.concat([
        _table(conn, "operation", ops, ops.c.area_wkb, standoff,
               ops.c.status.in_([s.value for s in DECONFLICTED]), altitude=True),
        _table(conn, "activity", acts, acts.c.area_wkb, standoff,
               acts.c.status == ActivityStatus.NOTIFIED.value, altitude=True),
        _table(conn, "site", sites, sites.c.geometry_wkb, sites.c.buffer_m,
               sites.c.status != SiteStatus.RETIRED.value, altitude=False),
    ])


def footprint_of(conn: Connection, key: str, standoff_m: float) -> Footprint | None:
    """The current footprint of one item, or None when it is not (or no longer) deconflicted."""
    kind, ident = split_key(key)
    if kind == "operation":
        row = conn.execute(select(ops).where(ops.c.id == ident,
                                             ops.c.status.in_([s.value for s in DECONFLICTED]))).first()
    elif kind == "activity":
        row = conn.execute(select(acts).where(acts.c.id == ident,
                                              acts.c.status == ActivityStatus.NOTIFIED.value)).first()
    else:
        row = conn.execute(select(sites).where(sites.c.id == ident,
                                               sites.c.status != SiteStatus.RETIRED.value)).first()
        if row is None:
            return None
        return Footprint(key, shapely.from_wkb(row.geometry_wkb), row.buffer_m, _time(row.starts_at),
                         _time(row.ends_at))
    if row is None:
        return None
    return Footprint(key, shapely.from_wkb(row.area_wkb), standoff_m, _time(row.starts_at), _time(row.ends_at),
                     _band(row.altitude_low_m, row.altitude_high_m))
