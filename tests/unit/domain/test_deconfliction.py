"""The engine finds exactly the footprints whose zones meet in space, time and altitude."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import shapely
from pyproj import Geod

from concord.domain.deconfliction import DeconflictionEngine, Footprint
from concord.domain.geo import area_m2, buffer_metres, distance_metres

GEOD = Geod(ellps="WGS84")
T0 = datetime(2027, 3, 1, 6, tzinfo=UTC)


def op(
    key: str,
    geom: shapely.Geometry,
    buffer_m: float = 0.0,
    start_h: float = 0,
    hours: float = 24,
    band: tuple[float, float] | None = None,
) -> Footprint:
    start = T0 + timedelta(hours=start_h)
    return Footprint(key, geom, buffer_m, start, start + timedelta(hours=hours), band)


def keys(engine: DeconflictionEngine, fp: Footprint) -> list[str]:
    return [o.key for o in engine.check(fp)]


def test_stand_off_is_measured_in_metres_on_the_ground() -> None:
    # A site 1,000 m (geodesic) east of an operation's east edge at 36.5°N.
    area = shapely.box(43.0, 36.4, 43.1, 36.5)
    lon, lat, _ = GEOD.fwd(43.1, 36.45, 90.0, 1_000.0)
    site = Footprint("site:1", shapely.Point(lon, lat), 600.0)
    engine = DeconflictionEngine()
    engine.rebuild([site])
    assert keys(engine, op("operation:1", area, 395.0)) == []  # 995 m < 1,000 m
    assert keys(engine, op("operation:1", area, 405.0)) == ["site:1"]  # 1,005 m > 1,000 m
    [overlap] = engine.check(op("operation:1", area, 405.0))
    assert overlap.distance_m == pytest.approx(1_000.0, abs=0.5)


@pytest.mark.parametrize("lat", [33.0, 35.5, 38.0])
def test_point_to_point_stand_off_matches_geod(lat: float) -> None:
    engine = DeconflictionEngine()
    for i, distance in enumerate([200.0, 990.0, 1_010.0, 5_000.0]):
        lon2, lat2, _ = GEOD.fwd(44.0, lat, 30.0 * i, distance)
        engine.upsert(Footprint(f"site:{i}", shapely.Point(lon2, lat2), 500.0))
    probe = Footprint("operation:9", shapely.Point(44.0, lat), 500.0, T0, T0 + timedelta(hours=1))
    found = engine.check(probe)
    assert [o.key for o in found] == ["site:0", "site:1"]
    assert [round(o.distance_m) for o in found] == [200, 990]


def test_time_windows_overlap_half_open() -> None:
    area = shapely.box(44.0, 35.0, 44.1, 35.1)
    engine = DeconflictionEngine()
    engine.rebuild(
        [
            op("operation:1", area, start_h=0, hours=10),
            op("operation:2", area, start_h=10, hours=5),
            op("operation:3", area, start_h=9.5, hours=5),
        ]
    )
    found = engine.check(op("operation:9", area, start_h=-5, hours=15))  # ends exactly at hour 10
    assert [o.key for o in found] == ["operation:1", "operation:3"]
    span = {o.key: (o.starts_at, o.ends_at) for o in found}
    assert span["operation:1"] == (T0, T0 + timedelta(hours=10))
    assert span["operation:3"] == (T0 + timedelta(hours=9.5), T0 + timedelta(hours=10))


def test_altitude_bands_only_when_both_have_one() -> None:
    area = shapely.box(44.0, 35.0, 44.1, 35.1)
    engine = DeconflictionEngine()
    engine.rebuild(
        [
            op("operation:1", area, band=(0, 1_000)),
            op("operation:2", area, band=(3_000, 6_000)),
            op("operation:3", area),
            Footprint("site:1", shapely.Point(44.05, 35.05), 100.0),
        ]
    )
    found = engine.check(op("operation:9", area, band=(1_000, 2_500)))
    assert [o.key for o in found] == ["operation:3", "site:1"]  # 0-1000 only touches 1000-2500
    low = engine.check(op("operation:9", area, band=(500, 2_500)))
    assert {o.key: o.altitude for o in low}["operation:1"] == (500, 1_000)


def test_overlap_geometry_and_area_in_square_metres() -> None:
    a = shapely.box(44.0, 35.0, 44.1, 35.1)
    b = shapely.box(44.05, 35.05, 44.15, 35.15)
    engine = DeconflictionEngine()
    engine.rebuild([op("operation:2", b)])
    [overlap] = engine.check(op("operation:1", a))
    expected = area_m2(shapely.box(44.05, 35.05, 44.1, 35.1))
    assert overlap.area_m2 == pytest.approx(expected, rel=1e-3)
    assert shapely.hausdorff_distance(overlap.geometry, shapely.box(44.05, 35.05, 44.1, 35.1)) < 1e-7


def test_zones_that_only_touch_report_a_point_and_no_area() -> None:
    a = shapely.box(44.0, 35.0, 44.1, 35.1)
    b = shapely.box(44.1, 35.0, 44.2, 35.1)  # shares the edge at 44.1
    engine = DeconflictionEngine()
    engine.rebuild([op("operation:2", b)])
    [overlap] = engine.check(op("operation:1", a))
    assert overlap.area_m2 == 0
    assert overlap.distance_m == pytest.approx(0, abs=1e-6)


def test_incremental_updates_and_removal() -> None:
    engine = DeconflictionEngine(delta_limit=4)
    here, there = shapely.box(44.0, 35.0, 44.1, 35.1), shapely.box(46.0, 37.0, 46.1, 37.1)
    engine.rebuild([op(f"operation:{i}", there) for i in range(3)])
    probe = op("operation:99", here)
    assert keys(engine, probe) == []
    engine.upsert(op("operation:1", here))  # moved into the probe's area
    assert keys(engine, probe) == ["operation:1"]
    engine.upsert(op("operation:7", here, start_h=48))  # new, but another day
    assert keys(engine, probe) == ["operation:1"]
    engine.remove("operation:1")
    assert keys(engine, probe) == []
    assert "operation:1" not in engine and len(engine) == 3
    for i in range(10):  # forces compactions of the base tree
        engine.upsert(op(f"operation:{100 + i}", here))
    assert keys(engine, probe) == [f"operation:{100 + i}" for i in range(10)]
    assert len(engine) == 13
    engine.remove("operation:does-not-exist")
    assert engine.get("operation:105") is not None and engine.get("operation:1") is None


def test_a_footprint_is_not_in_conflict_with_itself_and_only_filters_by_prefix() -> None:
    area = shapely.box(44.0, 35.0, 44.1, 35.1)
    engine = DeconflictionEngine()
    engine.rebuild([op("operation:1", area), Footprint("site:1", shapely.Point(44.05, 35.05), 10.0)])
    assert keys(engine, op("operation:1", area)) == ["site:1"]
    assert [o.key for o in engine.check(op("operation:2", area), only="site:")] == ["site:1"]


def test_round_trip_of_stored_footprints() -> None:
    fp = op("operation:1", shapely.box(44.0, 35.0, 44.1, 35.1), 250.0, band=(10.0, 20.0))
    site = Footprint("site:1", shapely.Point(44, 35), 100.0)
    engine = DeconflictionEngine()
    engine.rebuild([fp, site])
    assert engine.get("operation:1") == fp
    assert engine.get("site:1") == site
    assert sorted(f.key for f in engine.footprints()) == ["operation:1", "site:1"]


def test_same_result_as_brute_force_geodesic_check() -> None:
    rng = np.random.default_rng(11)
    stored = []
    for i in range(400):
        lon, lat = rng.uniform(43.0, 44.0), rng.uniform(35.0, 35.8)
        w, h = rng.uniform(0.002, 0.03, 2)
        stored.append(
            op(
                f"operation:{i}",
                shapely.box(lon, lat, lon + w, lat + h),
                float(rng.choice([0, 300, 1_000])),
                start_h=float(rng.uniform(0, 96)),
                hours=float(rng.uniform(1, 48)),
            )
        )
    engine = DeconflictionEngine(delta_limit=64)
    engine.rebuild(stored[:200])
    for fp in stored[200:]:
        engine.upsert(fp)
    for n in range(30):
        lon, lat = rng.uniform(43.0, 44.0), rng.uniform(35.0, 35.8)
        probe = op(
            f"new:{n}",
            shapely.box(lon, lat, lon + 0.05, lat + 0.04),
            500.0,
            start_h=float(rng.uniform(0, 96)),
            hours=24,
        )
        expected = sorted(
            f.key
            for f in stored
            if f.starts_at < probe.ends_at
            and probe.starts_at < f.ends_at  # type: ignore[operator]
            and distance_metres(probe.geometry, f.geometry) <= probe.buffer_m + f.buffer_m
        )
        assert keys(engine, probe) == expected


def test_buffers_are_zones_that_meet() -> None:
    # The decision agrees with intersecting the two zones drawn in metres.
    a, b = shapely.Point(44.0, 36.0), shapely.Point(44.02, 36.0)  # ~1.79 km apart at 36°N
    gap = distance_metres(a, b)
    engine = DeconflictionEngine()
    engine.rebuild([Footprint("site:1", b, gap / 2 + 5)])
    [overlap] = engine.check(Footprint("operation:1", a, gap / 2 + 5))
    assert buffer_metres(a, gap / 2 + 5).intersects(buffer_metres(b, gap / 2 + 5))
    assert overlap.area_m2 > 0


def test_footprint_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="buffer"):
        Footprint("x", shapely.Point(0, 0), -1.0)
    with pytest.raises(ValueError, match="window"):
        Footprint("x", shapely.Point(0, 0), 0.0, T0, T0)
