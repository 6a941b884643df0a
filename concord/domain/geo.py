"""GeoJSON geometry (RFC 7946) checked strictly, and distances and areas in metres.

Everything Concord stores is WGS84 longitude/latitude (RFC 7946 §4). Distances, buffers (stand-off
zones) and areas are never computed in degrees: a geometry is projected into an azimuthal
equidistant projection centred near it (on the WGS84 ellipsoid), buffered or measured there in
metres, and projected back. Within a few hundred kilometres of the centre the projection's scale
error is below 1e-4, so a 1 km stand-off is right to about 10 cm (tests compare with pyproj.Geod).

Projections are cached on a 0.5° grid of centres: building a pyproj Transformer costs about half a
millisecond, using a cached one microseconds, and a centre at most ~35 km from the geometry's own changes nothing
that matters at the distances an operation spans.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod, Transformer
from shapely.geometry.base import BaseGeometry

from concord.domain.errors import Invalid

#: Most vertices one geometry may have: larger areas are almost always a mistake (a coastline pasted
#: in) and would slow every deconfliction check that touches them.
MAX_VERTICES = 5_000
AREA_TYPES = ("Polygon", "MultiPolygon")
SITE_TYPES = ("Point", "Polygon", "MultiPolygon")
ROUTE_TYPES = ("LineString",)

_WGS84 = Geod(ellps="WGS84")
_GRID_DEGREES = 0.5
_SEGMENT_DEGREES = 0.01
# Shortest length of one degree of latitude on WGS84 (at the equator) and of longitude at the
# equator: dividing by them turns metres into degrees that are never too few.
_METRES_PER_DEGREE_LAT_MIN = 110_574.0
_METRES_PER_DEGREE_LON_EQUATOR = 111_320.0


# --------------------------------------------------------------------------- GeoJSON parsing


def parse_geometry(
    value: Any, field: str, allowed: Sequence[str] = AREA_TYPES, max_vertices: int = MAX_VERTICES
) -> BaseGeometry:
    """Check a GeoJSON geometry object and return it as a valid shapely geometry.

    Raises `Invalid` naming the exact field path (e.g. `area.coordinates[0][3][1]`) of the first
    problem: wrong type, malformed position, coordinate out of range, unclosed or too short ring,
    self-intersection, hole outside its shell, too many vertices.
    """
    if not isinstance(value, dict):
        raise Invalid("a geometry is a GeoJSON object with 'type' and 'coordinates'", field=field)
    kind = value.get("type")
    if kind not in allowed:
        raise Invalid(
            f"geometry type must be one of {', '.join(allowed)}; got {kind!r}", field=f"{field}.type"
        )
    if "coordinates" not in value:
        raise Invalid("a geometry needs 'coordinates'", field=f"{field}.coordinates")
    coords = value["coordinates"]
    path = f"{field}.coordinates"
    counter = _VertexCounter(max_vertices, path)
    if kind == "Point":
        geom: BaseGeometry = shapely.Point(_position(coords, path))
        counter.add(1)
    elif kind == "LineString":
        line = _positions(coords, path, counter)
        if len(line) < 2:
            raise Invalid("a LineString has at least two positions", field=path)
        geom = shapely.LineString(line)
        if geom.length == 0:
            raise Invalid("a LineString's positions are all the same point", field=path)
    elif kind == "Polygon":
        geom = _polygon(coords, path, counter)
    else:
        if not isinstance(coords, list) or not coords:
            raise Invalid("a MultiPolygon has a list of one or more polygons", field=path)
        parts = [_polygon(part, f"{path}[{i}]", counter) for i, part in enumerate(coords)]
        geom = shapely.MultiPolygon(parts)
        _check_valid(geom, path)
    return geom


class _VertexCounter:
    def __init__(self, limit: int, path: str) -> None:
        self.limit, self.path, self.count = limit, path, 0

    def add(self, n: int) -> None:
        self.count += n
        if self.count > self.limit:
            raise Invalid(f"a geometry has at most {self.limit} vertices", field=self.path)


def _position(value: Any, path: str) -> tuple[float, float]:
    # RFC 7946 §3.1.1: a position is longitude, latitude and an optional altitude.
    if not isinstance(value, list) or not 2 <= len(value) <= 3:
        raise Invalid("a position is [longitude, latitude] or [longitude, latitude, altitude]", field=path)
    for i, number in enumerate(value):
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            raise Invalid("a coordinate is a finite number", field=f"{path}[{i}]")
    lon, lat = float(value[0]), float(value[1])
    if not -180.0 <= lon <= 180.0:
        raise Invalid("longitude is between -180 and 180", field=f"{path}[0]")
    if not -90.0 <= lat <= 90.0:
        raise Invalid("latitude is between -90 and 90", field=f"{path}[1]")
    return lon, lat


def _positions(value: Any, path: str, counter: _VertexCounter) -> list[tuple[float, float]]:
    if not isinstance(value, list):
        raise Invalid("expected a list of positions", field=path)
    counter.add(len(value))
    return [_position(p, f"{path}[{i}]") for i, p in enumerate(value)]


def _polygon(value: Any, path: str, counter: _VertexCounter) -> shapely.Polygon:
    if not isinstance(value, list) or not value:
        raise Invalid("a Polygon has a list of one or more linear rings", field=path)
    rings = []
    for i, ring_value in enumerate(value):
        ring_path = f"{path}[{i}]"
        ring = _positions(ring_value, ring_path, counter)
        # RFC 7946 §3.1.6: a linear ring has four or more positions and is closed.
        if len(ring) < 4:
            raise Invalid("a linear ring has at least four positions", field=ring_path)
        if ring[0] != ring[-1]:
            raise Invalid("a linear ring is closed: its last position equals its first", field=ring_path)
        linear = shapely.LinearRing(ring)
        if not linear.is_valid or not shapely.is_simple(linear):
            reason = shapely.is_valid_reason(linear)
            reason = "Ring Self-intersection" if reason == "Valid Geometry" else reason
            raise Invalid(f"invalid ring: {reason}", field=ring_path)
        if shapely.Polygon(ring).area == 0:
            raise Invalid("a linear ring encloses no area", field=ring_path)
        rings.append(ring)
    polygon = shapely.Polygon(rings[0], rings[1:])
    _check_valid(polygon, path)
    return polygon


def _check_valid(geom: BaseGeometry, path: str) -> None:
    if not geom.is_valid:
        # explain_validity says what and where, e.g. "Self-intersection[44.1 35.2]".
        raise Invalid(f"invalid geometry: {shapely.is_valid_reason(geom)}", field=path)


def to_geojson(geom: BaseGeometry) -> dict[str, Any]:
    """The RFC 7946 geometry object of a shapely geometry (GEOS writes it; much faster than mapping())."""
    out: dict[str, Any] = json.loads(shapely.to_geojson(geom))
    return out


# --------------------------------------------------------------------------- metres


class LocalProjection:
    """An azimuthal equidistant projection (metres) on the WGS84 ellipsoid centred at a point, both ways."""

    def __init__(self, lon: float, lat: float) -> None:
        self.lon, self.lat = lon, lat
        # A PROJ pipeline rather than `Transformer.from_crs`: the same projection without a search of
        # PROJ's database, so building one costs ~0.5 ms instead of ~25 ms.
        self._transformer = Transformer.from_pipeline(
            f"+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
            f"+step +proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=WGS84"
        )

    def to_metres(self, geom: Any) -> Any:
        """Project one geometry or an array of them (vectorised: one pyproj call in all).

        GeoJSON edges are straight in longitude/latitude (RFC 7946 §3.1.1); projected, they bend.
        Edges are first cut into pieces of at most `_SEGMENT_DEGREES` so that the projected
        straight chords stay within centimetres of them.
        """
        return shapely.transform(shapely.segmentize(geom, _SEGMENT_DEGREES), _via(self._transformer, "FORWARD"))

    def to_degrees(self, geom: Any) -> Any:
        return shapely.transform(geom, _via(self._transformer, "INVERSE"))


def _via(transformer: Transformer, direction: str) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    def apply(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(coords[:, 0], coords[:, 1], direction=direction)
        return np.column_stack((x, y))

    return apply


_projections = threading.local()


def projection_near(lon: float, lat: float) -> LocalProjection:
    """A cached local projection centred on the 0.5° grid point nearest (lon, lat).

    Cached per thread because pyproj transformers must not be shared between threads.
    """
    key = (round(lon / _GRID_DEGREES), round(lat / _GRID_DEGREES))
    cache: dict[tuple[int, int], LocalProjection] | None = getattr(_projections, "cache", None)
    if cache is None:
        cache = _projections.cache = {}
    projection = cache.get(key)
    if projection is None:
        projection = cache[key] = LocalProjection(key[0] * _GRID_DEGREES, key[1] * _GRID_DEGREES)
    return projection


def projection_for(geom: BaseGeometry) -> LocalProjection:
    """The cached local projection for a geometry (centred near the middle of its bounding box)."""
    minx, miny, maxx, maxy = geom.bounds
    return projection_near((minx + maxx) / 2, (miny + maxy) / 2)


def buffer_metres(geom: BaseGeometry, metres: float) -> BaseGeometry:
    """The geometry grown by `metres` on the ground (a stand-off or protection zone), in WGS84."""
    if metres < 0:
        raise ValueError("a buffer is not negative")
    if metres == 0 and geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    projection = projection_for(geom)
    grown = shapely.buffer(projection.to_metres(geom), metres, quad_segs=16)
    result: BaseGeometry = projection.to_degrees(grown)
    return result


def area_m2(geom: BaseGeometry) -> float:
    """Area on the ground in square metres (geodesic, on the WGS84 ellipsoid)."""
    # Shells counter-clockwise and holes clockwise, so that pyproj adds shells and subtracts holes.
    area, _ = _WGS84.geometry_area_perimeter(shapely.orient_polygons(geom))
    return abs(float(area))


def distance_metres(a: BaseGeometry, b: BaseGeometry) -> float:
    """Shortest distance on the ground between two geometries, in metres (0 if they touch)."""
    projection = projection_for(shapely.union(shapely.envelope(a), shapely.envelope(b)))
    return float(shapely.distance(projection.to_metres(a), projection.to_metres(b)))


def expand_bounds(bounds: NDArray[np.float64], metres: NDArray[np.float64]) -> NDArray[np.float64]:
    """Grow (n, 4) [minx, miny, maxx, maxy] boxes by `metres` each, in degrees never too few.

    Used for the spatial index: the box may be larger than the true buffer, never smaller, so the
    index finds every candidate and the exact test in metres decides.
    """
    out = np.array(bounds, dtype=np.float64, copy=True)
    dlat = metres / _METRES_PER_DEGREE_LAT_MIN * 1.001
    out[:, 1] -= dlat
    out[:, 3] += dlat
    max_abs_lat = np.minimum(np.maximum(np.abs(out[:, 1]), np.abs(out[:, 3])), 90.0)
    cos_lat = np.cos(np.radians(max_abs_lat))
    with np.errstate(divide="ignore"):
        dlon = np.where(cos_lat > 0.01, metres / (_METRES_PER_DEGREE_LON_EQUATOR * cos_lat) * 1.001, 360.0)
    out[:, 0] -= dlon
    out[:, 2] += dlon
    return out


def expand_box(bounds: tuple[float, float, float, float], metres: float) -> NDArray[np.float64]:
    """`expand_bounds` for one box (a scalar path: numpy's overhead dominates for a single row)."""
    minx, miny, maxx, maxy = bounds
    dlat = metres / _METRES_PER_DEGREE_LAT_MIN * 1.001
    miny, maxy = miny - dlat, maxy + dlat
    cos_lat = math.cos(math.radians(min(max(abs(miny), abs(maxy)), 90.0)))
    dlon = metres / (_METRES_PER_DEGREE_LON_EQUATOR * cos_lat) * 1.001 if cos_lat > 0.01 else 360.0
    return np.array([minx - dlon, miny, maxx + dlon, maxy])
