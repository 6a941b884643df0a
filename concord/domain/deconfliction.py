"""The deconfliction engine: which footprints overlap a given one in space (with stand-off), time
and altitude. In memory, no I/O; the service keeps one per process current from the event log.

A *footprint* is what an operation, a national activity or a protected site occupies: a WGS84
geometry, a buffer in metres around it (an operation's stand-off, a site's protection zone), a
time window (none for a site that is always there) and an optional altitude band. Two footprints
conflict when their buffered zones meet — the ground distance between the geometries is at most
the sum of the two buffers — and their windows and (where both have one) altitude bands overlap.

How it stays fast and current (shapely's STRtree is immutable):

* a *base* STRtree over each footprint's bounding box grown by its buffer (in degrees, never too
  small: `geo.expand_bounds`), with the windows and bands in numpy arrays beside it;
* a small *delta* of footprints added or changed since the base was built, searched by a vectorised
  box test, and a tombstone mask for base entries that were changed or removed;
* when the delta passes `delta_limit` the base is rebuilt from the live entries (tens of ms for
  100,000 footprints), so updates are O(1) and queries stay O(log n + candidates).

The index only narrows the search; the decision is exact and in metres: the candidates and the
footprint are projected into one local azimuthal equidistant projection around the footprint and
their distance compared with the buffers. The overlap reported is the intersection of the two zones
(area in square metres).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from concord.domain.geo import expand_bounds, expand_box, projection_for

# Buffers are compared with distances to within a millimetre, far below any stand-off anyone sets.
_TOLERANCE_M = 1e-3
# Segments per quarter circle of a buffer used to draw the overlap (the decision uses exact
# distances): 8 keeps a circle's area within 0.7% and the overlay fast.
_QUAD_SEGS = 8


@dataclass(frozen=True, slots=True)
class Footprint:
    key: str  # e.g. "operation:12", "site:3", "activity:7"
    geometry: BaseGeometry  # WGS84 longitude/latitude
    buffer_m: float = 0.0  # stand-off / protection zone around the geometry
    starts_at: datetime | None = None  # None: since always
    ends_at: datetime | None = None  # None: for ever
    altitude: tuple[float, float] | None = None  # metres above mean sea level; None: every altitude

    def __post_init__(self) -> None:
        if self.buffer_m < 0 or not math.isfinite(self.buffer_m):
            raise ValueError("a buffer is a finite number of metres, not negative")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("a footprint's window ends after it starts")


#: Cells of the grid conflict-writing checks lock (degrees); a zone wider than MAX_CELLS locks the centre.
CELL_DEGREES = 0.5
MAX_CELLS = 256


def zone_cells(footprints: Iterable[Footprint | None]) -> list[str] | None:
    """The grid cells the zones (geometry grown by its buffer) of these footprints touch, or None
    when they touch more than `MAX_CELLS` (too wide to lock cell by cell).

    Two zones that meet share a point, and that point's cell is among both zones' cells (cells are
    taken from each zone's bounding box, grown never too little: `expand_box`), so two checks that
    could find each other always share a cell."""
    cells: set[str] = set()
    for footprint in footprints:
        if footprint is None or footprint.geometry.is_empty:
            continue
        minx, miny, maxx, maxy = (float(v) for v in expand_box(footprint.geometry.bounds, footprint.buffer_m))
        if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
            return None
        xs = range(math.floor(minx / CELL_DEGREES), math.floor(maxx / CELL_DEGREES) + 1)
        ys = range(math.floor(miny / CELL_DEGREES), math.floor(maxy / CELL_DEGREES) + 1)
        if len(xs) * len(ys) + len(cells) > MAX_CELLS:
            return None
        cells.update(f"{x}:{y}" for x in xs for y in ys)
    return sorted(cells)


@dataclass(frozen=True, slots=True)
class Overlap:
    """Where, when and at what height `key`'s zone meets the checked footprint's zone."""

    key: str
    geometry: BaseGeometry  # WGS84; a point where the zones only just touch
    area_m2: float
    distance_m: float  # ground distance between the two geometries themselves
    starts_at: datetime | None
    ends_at: datetime | None
    altitude: tuple[float, float] | None


def _seconds(moment: datetime | None, default: float) -> float:
    return default if moment is None else moment.timestamp()


def _moment(seconds: float) -> datetime | None:
    return None if math.isinf(seconds) else datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True)
class FootprintTable:
    """Many footprints as parallel arrays: how storage hands 100,000 of them over at start-up
    without building an object per row. Times are seconds since the epoch (-inf/+inf when open);
    altitudes are NaN where there is no band."""

    keys: list[str]
    geometries: NDArray[np.object_]
    buffers: NDArray[np.float64]
    starts: NDArray[np.float64]
    ends: NDArray[np.float64]
    alt_low: NDArray[np.float64]
    alt_high: NDArray[np.float64]

    @classmethod
    def of(cls, footprints: list[Footprint]) -> FootprintTable:
        n = len(footprints)
        geometries = np.empty(n, dtype=object)
        geometries[:] = [f.geometry for f in footprints]
        return cls(
            [f.key for f in footprints],
            geometries,
            np.fromiter((f.buffer_m for f in footprints), np.float64, n),
            np.fromiter((_seconds(f.starts_at, -math.inf) for f in footprints), np.float64, n),
            np.fromiter((_seconds(f.ends_at, math.inf) for f in footprints), np.float64, n),
            np.fromiter((f.altitude[0] if f.altitude else math.nan for f in footprints), np.float64, n),
            np.fromiter((f.altitude[1] if f.altitude else math.nan for f in footprints), np.float64, n),
        )

    @classmethod
    def concat(cls, tables: list[FootprintTable]) -> FootprintTable:
        if not tables:
            return cls.of([])
        return cls(
            [k for t in tables for k in t.keys],
            np.concatenate([t.geometries for t in tables]),
            *(np.concatenate([getattr(t, name) for t in tables])
              for name in ("buffers", "starts", "ends", "alt_low", "alt_high")),
        )

    def take(self, indices: NDArray[np.intp]) -> FootprintTable:
        return FootprintTable([self.keys[i] for i in indices], self.geometries[indices], self.buffers[indices],
                              self.starts[indices], self.ends[indices], self.alt_low[indices],
                              self.alt_high[indices])


class _Columns:
    """Footprints as parallel numpy arrays (what the vectorised filters read)."""

    def __init__(self, table: FootprintTable) -> None:
        self.table = table
        self.keys = table.keys
        self.geometries = table.geometries
        self.buffers = table.buffers
        self.starts = table.starts
        self.ends = table.ends
        self.has_band = ~np.isnan(table.alt_low)
        self.alt_low = np.where(self.has_band, table.alt_low, -math.inf)
        self.alt_high = np.where(self.has_band, table.alt_high, math.inf)
        bounds = shapely.bounds(self.geometries) if len(self.keys) else np.empty((0, 4))
        self.boxes = expand_bounds(bounds, self.buffers)

    def matching(self, indices: NDArray[np.intp], probe: _Probe) -> NDArray[np.intp]:
        """Those of `indices` whose window and band overlap the probe's (vectorised)."""
        keep = (self.starts[indices] < probe.end) & (probe.start < self.ends[indices])
        keep &= (self.alt_low[indices] < probe.alt_high) & (probe.alt_low < self.alt_high[indices])
        return indices[keep]


@dataclass(frozen=True, slots=True)
class _Probe:
    footprint: Footprint
    box: NDArray[np.float64]
    start: float
    end: float
    alt_low: float
    alt_high: float

    @classmethod
    def of(cls, fp: Footprint) -> _Probe:
        box = expand_box(fp.geometry.bounds, fp.buffer_m)
        band = fp.altitude or (-math.inf, math.inf)
        return cls(fp, box, _seconds(fp.starts_at, -math.inf), _seconds(fp.ends_at, math.inf), *band)


class DeconflictionEngine:
    """Incrementally updated spatio-temporal index of footprints. Thread-safe."""

    def __init__(self, *, delta_limit: int = 2048) -> None:
        self._lock = threading.RLock()
        self._delta_limit = delta_limit
        self.rebuild(())

    # ---------------------------------------------------------------- maintenance

    def rebuild(self, footprints: Iterable[Footprint] | FootprintTable) -> None:
        """Replace everything (start-up, or after a reload from storage). A table's keys are unique."""
        if isinstance(footprints, FootprintTable):
            table = footprints
        else:
            latest: dict[str, Footprint] = {}
            for fp in footprints:
                latest[fp.key] = fp
            table = FootprintTable.of(list(latest.values()))
        base = _Columns(table)
        tree = shapely.STRtree(shapely.box(*base.boxes.T)) if base.keys else None
        with self._lock:
            self._base, self._tree = base, tree
            self._base_index = {key: i for i, key in enumerate(base.keys)}
            self._alive = np.ones(len(base.keys), dtype=bool)
            self._dead = 0
            self._delta: dict[str, Footprint] = {}
            self._delta_columns: _Columns | None = None

    def upsert(self, footprint: Footprint) -> None:
        """Add a footprint or replace the one with the same key."""
        with self._lock:
            self._bury(footprint.key)
            self._delta[footprint.key] = footprint
            self._delta_columns = None
            self._maybe_compact()

    def remove(self, key: str) -> None:
        """Forget a footprint (an operation completed or cancelled, a site retired); no-op if absent."""
        with self._lock:
            self._bury(key)
            if self._delta.pop(key, None) is not None:
                self._delta_columns = None
            self._maybe_compact()

    def _bury(self, key: str) -> None:
        index = self._base_index.pop(key, None)
        if index is not None:
            self._alive[index] = False
            self._dead += 1

    def _maybe_compact(self) -> None:
        if len(self._delta) + self._dead > self._delta_limit:
            live = self._base.table.take(np.flatnonzero(self._alive))
            self.rebuild(FootprintTable.concat([live, FootprintTable.of(list(self._delta.values()))]))

    def footprints(self) -> list[Footprint]:
        """Every live footprint (a copy)."""
        with self._lock:
            return [self._footprint(key) for key in self._base_index] + list(self._delta.values())

    def _footprint(self, key: str) -> Footprint:
        base, i = self._base, self._base_index[key]
        return Footprint(
            key,
            base.geometries[i],
            float(base.buffers[i]),
            _moment(base.starts[i]),
            _moment(base.ends[i]),
            (float(base.alt_low[i]), float(base.alt_high[i])) if base.has_band[i] else None,
        )

    def get(self, key: str) -> Footprint | None:
        with self._lock:
            if key in self._delta:
                return self._delta[key]
            return self._footprint(key) if key in self._base_index else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._base_index) + len(self._delta)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._delta or key in self._base_index

    # ---------------------------------------------------------------- queries

    def check(self, footprint: Footprint, *, only: str | None = None) -> list[Overlap]:
        """Every stored footprint (other than `footprint.key` itself) whose zone meets this one's
        in space, time and altitude. `only` limits the result to keys starting with that prefix."""
        probe = _Probe.of(footprint)
        with self._lock:
            groups = [self._candidates_in_base(probe), self._candidates_in_delta(probe)]
        hits: list[Overlap] = []
        for columns, indices in groups:
            if indices.size == 0:
                continue
            wanted = [
                i
                for i in indices
                if columns.keys[i] != footprint.key and (only is None or columns.keys[i].startswith(only))
            ]
            indices = np.asarray(wanted, dtype=np.intp)
            hits.extend(_exact(probe, columns, indices))
        return sorted(hits, key=lambda o: o.key)

    def _candidates_in_base(self, probe: _Probe) -> tuple[_Columns, NDArray[np.intp]]:
        if self._tree is None:
            return self._base, np.empty(0, dtype=np.intp)
        indices = self._tree.query(shapely.box(*probe.box))
        indices = indices[self._alive[indices]]
        return self._base, self._base.matching(indices, probe)

    def _candidates_in_delta(self, probe: _Probe) -> tuple[_Columns, NDArray[np.intp]]:
        if not self._delta:
            return self._base, np.empty(0, dtype=np.intp)
        if self._delta_columns is None:
            self._delta_columns = _Columns(FootprintTable.of(list(self._delta.values())))
        columns, box = self._delta_columns, probe.box
        b = columns.boxes
        near = (b[:, 0] <= box[2]) & (box[0] <= b[:, 2]) & (b[:, 1] <= box[3]) & (box[1] <= b[:, 3])
        return columns, columns.matching(np.flatnonzero(near), probe)


def _exact(probe: _Probe, columns: _Columns, indices: NDArray[np.intp]) -> list[Overlap]:
    """Decide in metres, in one local projection around the probe, and describe each overlap.

    Vectorised over the candidates: one projection call each way, one distance, buffer and
    intersection call. Areas are planar in the azimuthal equidistant projection, whose areal scale
    error is below 2e-4 within 200 km of its centre (tests compare with the geodesic area).
    """
    if indices.size == 0:
        return []
    fp = probe.footprint
    projection = projection_for(fp.geometry)
    # One projection call for the probe and all candidates together (pyproj's per-call cost dominates).
    both = projection.to_metres(np.concatenate(([fp.geometry], columns.geometries[indices])))
    mine, theirs = both[0], both[1:]
    distances = shapely.distance(mine, theirs)
    hit = np.flatnonzero(distances <= fp.buffer_m + columns.buffers[indices] + _TOLERANCE_M)
    if hit.size == 0:
        return []
    chosen = indices[hit]
    my_zone = shapely.buffer(mine, fp.buffer_m, quad_segs=_QUAD_SEGS) if fp.buffer_m else mine
    their_zones = np.where(
        columns.buffers[chosen] > 0,
        shapely.buffer(theirs[hit], columns.buffers[chosen], quad_segs=_QUAD_SEGS),
        theirs[hit],
    )
    shared = np.array([_polygonal(g) for g in shapely.intersection(my_zone, their_zones)], dtype=object)
    areas = shapely.area(shared)
    for touching in np.flatnonzero(areas == 0):
        # The zones only just touch (a buffer's polygon sits inside the true circle): report the
        # point midway along the shortest line between the geometries.
        line = shapely.shortest_line(mine, theirs[hit[touching]])
        shared[touching] = shapely.line_interpolate_point(line, 0.5, normalized=True)
    shared_wgs84 = projection.to_degrees(shared)
    out = []
    for j, i in enumerate(chosen.tolist()):
        start = max(probe.start, columns.starts[i])
        end = min(probe.end, columns.ends[i])
        band = None
        if fp.altitude is not None or columns.has_band[i]:
            band = (
                float(max(probe.alt_low, columns.alt_low[i])),
                float(min(probe.alt_high, columns.alt_high[i])),
            )
        out.append(
            Overlap(
                columns.keys[i],
                shared_wgs84[j],
                float(areas[j]),
                float(distances[hit[j]]),
                _moment(start),
                _moment(end),
                band,
            )
        )
    return out


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The areal part of an intersection (zones that share an area and also touch along a line)."""
    if geom.geom_type != "GeometryCollection":
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else geom
