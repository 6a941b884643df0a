"""Deconfliction: one new operation against 100,000 operations and 10,000 protected sites.

Side by side in the same run with the naive vectorised check a careful engineer would write without
an index: `shapely.intersects` of the new operation's zone (prepared) against every stored zone
(pre-buffered, so the peer pays nothing for buffering at query time), then the time and altitude
filters in numpy. Both must find the same conflicts; the bench fails loudly if they do not.

Figures: median time of the engine's check (exact, in metres, including the overlap geometry and
its geodesic area), median of the naive check, their ratio, the start-up rebuild of the index for
all footprints, and an incremental update.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import shapely

from bench.harness import Row
from concord.domain.deconfliction import DeconflictionEngine, Footprint
from concord.domain.geo import projection_near

REGION = (38.0, 33.0, 48.0, 38.0)  # lon/lat box around the region the centre covers (fictional data)
EPOCH = datetime(2027, 1, 1, tzinfo=UTC)
STANDOFF_M = 500.0


def _operations(rng: np.random.Generator, n: int, prefix: str) -> list[Footprint]:
    lon = rng.uniform(REGION[0], REGION[2], n)
    lat = rng.uniform(REGION[1], REGION[3], n)
    half = rng.uniform(0.005, 0.05, (n, 2))  # about 1 to 10 km across
    starts = rng.uniform(0, 365 * 24, n)  # hours into the year
    hours = rng.uniform(6, 14 * 24, n)
    banded = rng.random(n) < 0.2
    low = rng.uniform(0, 3000, n)
    out = []
    for i in range(n):
        # A slanted quadrilateral rather than a box, so geometry tests do real work.
        x, y, w, h = lon[i], lat[i], half[i, 0], half[i, 1]
        poly = shapely.Polygon(
            [(x - w, y - h), (x + w, y - h * 0.6), (x + w * 0.8, y + h), (x - w, y + h * 0.7)]
        )
        start = EPOCH + timedelta(hours=float(starts[i]))
        out.append(
            Footprint(
                f"{prefix}:{i}",
                poly,
                STANDOFF_M,
                start,
                start + timedelta(hours=float(hours[i])),
                (float(low[i]), float(low[i]) + 1500) if banded[i] else None,
            )
        )
    return out


def _sites(rng: np.random.Generator, n: int) -> list[Footprint]:
    lon = rng.uniform(REGION[0], REGION[2], n)
    lat = rng.uniform(REGION[1], REGION[3], n)
    buffers = rng.choice([250.0, 500.0, 1000.0], n)
    out = []
    for i in range(n):
        if i % 10 == 0:  # one in ten is a compound (polygon), the rest points
            geom = shapely.box(lon[i], lat[i], lon[i] + 0.004, lat[i] + 0.003)
        else:
            geom = shapely.Point(lon[i], lat[i])
        out.append(Footprint(f"site:{i}", geom, float(buffers[i])))
    return out


def _zones(footprints: list[Footprint]) -> np.ndarray:
    """Every footprint's zone in WGS84, buffered in metres in a local projection (vectorised by cell)."""
    geoms = np.array([f.geometry for f in footprints], dtype=object)
    buffers = np.array([f.buffer_m for f in footprints])
    centres = shapely.centroid(geoms)
    cells = np.round(np.column_stack([shapely.get_x(centres), shapely.get_y(centres)]) / 0.5).astype(int)
    zones = np.empty(len(footprints), dtype=object)
    for cell in np.unique(cells, axis=0):
        members = np.flatnonzero((cells == cell).all(axis=1))
        projection = projection_near(cell[0] * 0.5, cell[1] * 0.5)
        zones[members] = projection.to_degrees(
            shapely.buffer(projection.to_metres(geoms[members]), buffers[members], quad_segs=8)
        )
    return zones


class NaiveCheck:
    """The peer: intersects against everything, then time and altitude filters."""

    def __init__(self, footprints: list[Footprint]) -> None:
        self.keys = np.array([f.key for f in footprints], dtype=object)
        self.zones = _zones(footprints)
        inf = float("inf")
        self.starts = np.array([f.starts_at.timestamp() if f.starts_at else -inf for f in footprints])
        self.ends = np.array([f.ends_at.timestamp() if f.ends_at else inf for f in footprints])
        self.low = np.array([f.altitude[0] if f.altitude else -inf for f in footprints])
        self.high = np.array([f.altitude[1] if f.altitude else inf for f in footprints])

    def check(self, fp: Footprint) -> set[str]:
        zone = _zones([fp])[0]
        shapely.prepare(zone)
        hit = shapely.intersects(zone, self.zones)
        assert fp.starts_at is not None and fp.ends_at is not None
        hit &= (self.starts < fp.ends_at.timestamp()) & (fp.starts_at.timestamp() < self.ends)
        low, high = fp.altitude or (-float("inf"), float("inf"))
        hit &= (self.low < high) & (low < self.high)
        return set(self.keys[hit])


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


def run(quick: bool) -> list[Row]:
    n_ops, n_sites, n_probes = (10_000, 1_000, 50) if quick else (100_000, 10_000, 200)
    rng = np.random.default_rng(20270101)
    stored = _operations(rng, n_ops, "operation") + _sites(rng, n_sites)
    probes = _operations(rng, n_probes, "new")

    engine = DeconflictionEngine()
    started = time.perf_counter()
    engine.rebuild(stored)
    rebuild_s = time.perf_counter() - started
    naive = NaiveCheck(stored)

    # Each side runs its probes back to back so neither pays for the other's cache misses.
    engine_times, found = [], []
    for fp in probes:
        started = time.perf_counter()
        found.append(engine.check(fp))
        engine_times.append(time.perf_counter() - started)
    naive_times, expected = [], []
    for fp in probes:
        started = time.perf_counter()
        expected.append(naive.check(fp))
        naive_times.append(time.perf_counter() - started)
    conflicts = sum(len(f) for f in found)
    # Zones that only graze each other may differ by the buffers' polygon approximation.
    mismatched = sum(len({o.key for o in f} ^ e) for f, e in zip(found, expected, strict=True))
    if mismatched > max(1, conflicts // 100):
        raise AssertionError(f"engine and naive check disagree on {mismatched} of {conflicts} conflicts")

    update_times = []
    for fp in _operations(rng, 500, "operation")[:500]:
        started = time.perf_counter()
        engine.upsert(fp)
        update_times.append(time.perf_counter() - started)

    engine_ms, naive_ms = _median_ms(engine_times), _median_ms(naive_times)
    size = f"{n_ops:,} ops + {n_sites:,} sites"
    return [
        Row(
            f"deconfliction check, median ({size}; {conflicts / len(probes):.1f} conflicts/check)",
            engine_ms,
            naive_ms,
            "ms",
            "< 1 ms; >= 50x the naive check",
            higher_is_better=False,
            peer_name="naive shapely.intersects + time filter",
        ),
        Row(
            f"index rebuild at start-up ({len(stored):,} footprints)",
            rebuild_s,
            None,
            "s",
            "< 5 s",
            higher_is_better=False,
        ),
        Row(
            "incremental index update, median",
            _median_ms(update_times),
            None,
            "ms",
            "",
            higher_is_better=False,
        ),
    ]
