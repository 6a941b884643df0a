"""GeoJSON checks name the exact field; buffers, distances and areas are metres on the ellipsoid."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from pyproj import Geod

from concord.domain.errors import Invalid
from concord.domain.geo import (
    MAX_VERTICES,
    area_m2,
    buffer_metres,
    distance_metres,
    expand_bounds,
    expand_box,
    parse_geometry,
    to_geojson,
)

GEOD = Geod(ellps="WGS84")
SQUARE = [[[44.0, 35.0], [44.1, 35.0], [44.1, 35.1], [44.0, 35.1], [44.0, 35.0]]]


def polygon(*rings: list[list[float]]) -> dict[str, object]:
    return {"type": "Polygon", "coordinates": list(rings)}


def invalid(value: object, allowed: tuple[str, ...] = ("Polygon", "MultiPolygon")) -> Invalid:
    with pytest.raises(Invalid) as caught:
        parse_geometry(value, "area", allowed)
    return caught.value


def test_a_valid_polygon_round_trips() -> None:
    geom = parse_geometry(polygon(*SQUARE), "area")
    assert geom.geom_type == "Polygon"
    assert to_geojson(geom) == {"type": "Polygon", "coordinates": SQUARE}


@pytest.mark.parametrize(
    ("value", "field", "words"),
    [
        ("POLYGON((0 0, 1 0, 1 1, 0 0))", "area", "GeoJSON object"),
        ({"type": "Point", "coordinates": [44, 35]}, "area.type", "one of Polygon"),
        ({"type": "polygon", "coordinates": SQUARE}, "area.type", "one of Polygon"),
        ({"type": "Polygon"}, "area.coordinates", "needs 'coordinates'"),
        (polygon([[44, 35], [44.1, 35], [44.1, 35.1], [44, 35.1]]), "area.coordinates[0]", "closed"),
        (polygon([[44, 35], [44.1, 35], [44, 35]]), "area.coordinates[0]", "at least four"),
        (
            polygon([[44, 35], [44.1, 35.1], [44.1, 35], [44, 35.1], [44, 35]]),
            "area.coordinates[0]",
            "Self-intersection",
        ),
        (polygon([[44, 35], [181, 35], [44.1, 35.1], [44, 35]]), "area.coordinates[0][1][0]", "longitude"),
        (polygon([[44, 35], [44.1, -91], [44.1, 35.1], [44, 35]]), "area.coordinates[0][1][1]", "latitude"),
        (polygon([[44, 35], [44.1, "35"], [44.1, 35.1], [44, 35]]), "area.coordinates[0][1][1]", "number"),
        (polygon([[44, 35], [44.1, True], [44.1, 35.1], [44, 35]]), "area.coordinates[0][1][1]", "number"),
        (polygon([[44, 35], [44.1], [44.1, 35.1], [44, 35]]), "area.coordinates[0][1]", "position"),
        (polygon([[44, 35], [44.1, 35, 1, 2], [44.1, 35.1], [44, 35]]), "area.coordinates[0][1]", "position"),
        (
            polygon([[44, 35], [44.1, float("nan")], [44.1, 35.1], [44, 35]]),
            "area.coordinates[0][1][1]",
            "finite",
        ),
        (polygon([[44, 35], [44.1, 35], [44.2, 35], [44, 35]]), "area.coordinates[0]", "Self-intersection"),
        (
            polygon(SQUARE[0], [[45, 36], [45.01, 36], [45.01, 36.01], [45, 36]]),
            "area.coordinates",
            "Hole lies outside shell",
        ),
        ({"type": "MultiPolygon", "coordinates": []}, "area.coordinates", "one or more"),
        ({"type": "MultiPolygon", "coordinates": [SQUARE, SQUARE]}, "area.coordinates", "invalid geometry"),
        (
            {"type": "MultiPolygon", "coordinates": [SQUARE, [[[44, 35], [44.1, 35]]]]},
            "area.coordinates[1][0]",
            "at least four",
        ),
    ],
)
def test_invalid_geojson_names_the_field(value: object, field: str, words: str) -> None:
    error = invalid(value)
    assert error.field == field
    assert words in error.message


def test_too_many_vertices_are_refused() -> None:
    n = MAX_VERTICES + 1
    ring = [
        [44 + 0.1 * math.cos(2 * math.pi * i / n), 35 + 0.1 * math.sin(2 * math.pi * i / n)] for i in range(n)
    ]
    ring.append(ring[0])
    error = invalid(polygon(ring))
    assert error.field == "area.coordinates"
    assert "vertices" in error.message


def test_points_and_lines_where_allowed() -> None:
    assert (
        parse_geometry({"type": "Point", "coordinates": [44, 35, 120]}, "g", ("Point",)).geom_type == "Point"
    )
    line = parse_geometry(
        {"type": "LineString", "coordinates": [[44, 35], [44.2, 35.1]]}, "route", ("LineString",)
    )
    assert line.geom_type == "LineString"
    with pytest.raises(Invalid) as caught:
        parse_geometry({"type": "LineString", "coordinates": [[44, 35]]}, "route", ("LineString",))
    assert caught.value.field == "route.coordinates"
    with pytest.raises(Invalid) as caught:
        parse_geometry({"type": "LineString", "coordinates": [[44, 35], [44, 35]]}, "route", ("LineString",))
    assert caught.value.field == "route.coordinates"


def test_winding_order_is_not_a_reason_to_refuse() -> None:
    # RFC 7946 §3.1.6: parsers SHOULD NOT reject polygons that do not follow the right-hand rule.
    clockwise = [list(reversed(SQUARE[0]))]
    assert parse_geometry(polygon(*clockwise), "area").is_valid


@pytest.mark.parametrize("lat", [33.0, 35.5, 38.0])
@pytest.mark.parametrize("metres", [100.0, 1_000.0, 10_000.0])
@pytest.mark.parametrize("azimuth", [0.0, 45.0, 90.0, 135.0, 180.0, 270.0])
def test_point_buffer_radius_matches_the_geodesic(lat: float, metres: float, azimuth: float) -> None:
    centre = shapely.Point(43.0, lat)
    zone = buffer_metres(centre, metres)
    # Walk along a geodesic from the centre: just inside the radius is in the zone, just outside is not.
    margin = metres * 0.003 + 0.05  # the buffer's polygon sits inside the true circle by < 0.2%
    for along, inside in ((metres - margin, True), (metres + 0.05, False)):
        lon, lat2, _ = GEOD.fwd(43.0, lat, azimuth, along)
        assert zone.contains(shapely.Point(lon, lat2)) is inside, (along, inside)


@pytest.mark.parametrize("lat", [33.2, 36.0, 37.8])
def test_polygon_buffer_edge_is_the_stand_off_from_the_edge(lat: float) -> None:
    square = shapely.box(44.0, lat, 44.2, lat + 0.1)
    zone = buffer_metres(square, 2_000.0)
    # East of the east edge (a meridian) the zone ends 2 km away along the parallel's geodesic.
    mid_lat = lat + 0.05
    for along, inside in ((1_999.0, True), (2_001.0, False)):
        lon, lat2, _ = GEOD.fwd(44.2, mid_lat, 90.0, along)
        assert zone.contains(shapely.Point(lon, lat2)) is inside
    # North of the north edge too.
    for along, inside in ((1_999.0, True), (2_001.0, False)):
        lon, lat2, _ = GEOD.fwd(44.1, lat + 0.1, 0.0, along)
        assert zone.contains(shapely.Point(lon, lat2)) is inside


@pytest.mark.parametrize("lat", [33.0, 35.0, 38.0])
def test_distance_matches_geod_inverse(lat: float) -> None:
    a, b = (42.0, lat), (42.3, lat + 0.2)
    _, _, expected = GEOD.inv(*a, *b)
    assert distance_metres(shapely.Point(a), shapely.Point(b)) == pytest.approx(expected, rel=1e-4)


def test_degrees_would_be_wrong_and_metres_are_not() -> None:
    # At 37°N a degree of longitude is ~89 km but a degree of latitude ~111 km: a buffer in degrees
    # would be an ellipse. Ours is round on the ground.
    zone = buffer_metres(shapely.Point(44.0, 37.0), 5_000.0)
    minx, miny, maxx, maxy = zone.bounds
    _, _, east_west = GEOD.inv(minx, 37.0, maxx, 37.0)
    _, _, north_south = GEOD.inv(44.0, miny, 44.0, maxy)
    assert east_west == pytest.approx(10_000, rel=2e-3)
    assert north_south == pytest.approx(10_000, rel=2e-3)
    assert (maxx - minx) / (maxy - miny) > 1.2


def test_area_is_geodesic_square_metres() -> None:
    square = shapely.box(44.0, 35.0, 44.1, 35.1)
    expected, _ = GEOD.geometry_area_perimeter(shapely.orient_polygons(square))
    assert area_m2(square) == pytest.approx(abs(expected))
    assert 100e6 < area_m2(square) < 102e6  # ~9.1 km × 11.1 km
    clockwise = shapely.Polygon(list(reversed(square.exterior.coords)))
    assert area_m2(clockwise) == pytest.approx(area_m2(square))
    holed = shapely.Polygon(square.exterior.coords, [shapely.box(44.04, 35.04, 44.06, 35.06).exterior.coords])
    assert area_m2(holed) < area_m2(square)


def test_expanded_boxes_always_hold_the_buffer() -> None:
    rng = np.random.default_rng(7)
    for _ in range(50):
        lon, lat, metres = rng.uniform(38, 48), rng.uniform(33, 38), rng.uniform(10, 20_000)
        geom = shapely.box(lon, lat, lon + 0.05, lat + 0.03)
        box = expand_bounds(np.array([geom.bounds]), np.array([metres]))[0]
        assert shapely.box(*box).covers(buffer_metres(geom, metres))
        assert np.allclose(expand_box(geom.bounds, metres), box)
