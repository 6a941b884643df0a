"""A small printable map of the period's incidents, drawn as SVG.

Country outlines come from the Natural Earth extract shipped in `data/region_borders.geojson`
(see scripts/make_region_borders.py). The projection is a local equirectangular one: longitude is
scaled by cos(middle latitude), which keeps shapes true enough over the few hundred kilometres a
SITREP map shows and needs no projection library at print time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from xml.sax.saxutils import escape

from shapely.geometry import GeometryCollection, MultiPolygon, Polygon, box, shape
from shapely.geometry.base import BaseGeometry

from concord.domain.incident_facts import Location

#: Shown when there is nothing to map: the Türkiye–Iraq border region.
DEFAULT_EXTENT = (38.0, 34.5, 46.5, 39.0)
MIN_SPAN = 1.2  # degrees: below this the outlines are too coarse to mean anything


# Inside the SVG so the map looks the same in the PDF, the browser and a standalone file. Longhand
# font properties: WeasyPrint's SVG renderer drops text styled with the `font: bold …` shorthand.
_STYLE = (
    ".sea{fill:#eef3f7}.land{fill:#f7f5ee;stroke:#8a8a80;stroke-width:0.7}"
    ".graticule{stroke:#b9c6d0;stroke-width:0.4;stroke-dasharray:2 2}"
    ".tick{font-family:sans-serif;font-size:7px;fill:#5b6a75}"
    ".country{font-family:sans-serif;font-size:9px;font-weight:bold;fill:#6d6d64;text-anchor:middle}"
    ".incident-area{fill:#c0392b;fill-opacity:0.25;stroke:#c0392b;stroke-width:1}"
    ".incident{fill:#c0392b;stroke:#fff;stroke-width:1.2}"
    ".incident-label{font-family:sans-serif;font-size:8px;font-weight:bold;fill:#fff;text-anchor:middle}"
    ".scale-bg{fill:#fff;fill-opacity:0.8}.scale{stroke:#222;stroke-width:2}"
    ".scale-label{font-family:sans-serif;font-size:7px;fill:#222;text-anchor:middle}"
    ".north{font-family:sans-serif;font-size:9px;font-weight:bold;fill:#222;text-anchor:middle}"
    ".frame{fill:none;stroke:#222;stroke-width:1}"
)


@dataclass(frozen=True, slots=True)
class MapMarker:
    label: str
    location: Location


@cache
def region_borders() -> tuple[tuple[str, BaseGeometry], ...]:
    raw = resources.files("concord.reports").joinpath("data/region_borders.geojson").read_text("utf-8")
    data = json.loads(raw)
    return tuple((f["properties"]["iso_a3"], shape(f["geometry"])) for f in data["features"])


class _Projection:
    def __init__(self, extent: tuple[float, float, float, float], width: float, height: float):
        west, south, east, north = extent
        self.k = math.cos(math.radians((south + north) / 2))
        span_x, span_y = (east - west) * self.k, north - south
        self.scale = min(width / span_x, height / span_y)
        # Centre the extent in the frame.
        self.x0 = (width - span_x * self.scale) / 2 - west * self.k * self.scale
        self.y0 = (height - span_y * self.scale) / 2 + north * self.scale

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return (self.x0 + lon * self.k * self.scale, self.y0 - lat * self.scale)

    def inverse(self, x: float, y: float) -> tuple[float, float]:
        return ((x - self.x0) / (self.k * self.scale), (self.y0 - y) / self.scale)


Extent = tuple[float, float, float, float]  # west, south, east, north


def fit_extent(markers: Sequence[MapMarker], width: float, height: float) -> Extent:
    """The markers' bounds with a margin, widened to the frame's aspect ratio."""
    if not markers:
        west, south, east, north = DEFAULT_EXTENT
    else:
        bounds = [m.location.bounds for m in markers]
        west, south = min(b[0] for b in bounds), min(b[1] for b in bounds)
        east, north = max(b[2] for b in bounds), max(b[3] for b in bounds)
    cx, cy = (west + east) / 2, (south + north) / 2
    k = math.cos(math.radians(cy))
    half_h = max((north - south) * 0.65, MIN_SPAN / 2)
    half_w = max((east - west) * 0.65 * k, MIN_SPAN / 2 * k)
    # Widen whichever side is short so the frame is filled.
    if half_w / half_h < width / height:
        half_w = half_h * width / height
    else:
        half_h = half_w * height / width
    return (cx - half_w / k, max(cy - half_h, -89.0), cx + half_w / k, min(cy + half_h, 89.0))


def incident_map_svg(markers: Sequence[MapMarker], *, width: int = 480, height: int = 300) -> str:
    extent = fit_extent(markers, width, height)
    project = _Projection(extent, width, height)
    frame = box(*extent)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" class="incident-map" role="img" '
             f'aria-label="Map of the incidents in this report">',
             f"<style>{_STYLE}</style>",
             f'<rect width="{width}" height="{height}" class="sea"/>']
    labels = []
    for code, outline in region_borders():
        visible = outline.intersection(frame)
        if visible.is_empty:
            continue
        parts.append(f'<path class="land" d="{_path(visible, project)}"/>')
        if code and visible.area > (extent[2] - extent[0]) * (extent[3] - extent[1]) * 0.02:
            x, y = project(*_xy(visible.representative_point()))
            labels.append(f'<text class="country" x="{x:.1f}" y="{y:.1f}">{escape(code)}</text>')
    parts.extend(_graticule(extent, project, width, height))
    parts.extend(labels)
    # Areas first, so no area hides another incident's marker.
    parts.extend(f'<path class="incident-area" d="{_path(m.location.geometry, project)}"/>'
                 for m in markers if m.location.is_area)
    for marker in markers:
        parts.extend(_marker(marker, project))
    parts.extend(_scale_bar(extent, project, width, height))
    parts.append(f'<rect width="{width}" height="{height}" class="frame"/>')
    parts.append("</svg>")
    return "\n".join(parts)


def _xy(point: Any) -> tuple[float, float]:
    return (float(point.x), float(point.y))


def _polygons(geometry: BaseGeometry) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [geometry]
    if isinstance(geometry, MultiPolygon | GeometryCollection):
        return [p for g in geometry.geoms for p in _polygons(g)]
    return []


def _path(geometry: BaseGeometry, project: _Projection) -> str:
    commands = []
    for polygon in _polygons(geometry):
        for ring in (polygon.exterior, *polygon.interiors):
            points = [project(x, y) for x, y, *_ in ring.coords]
            commands.append("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z")
    return " ".join(commands)


def _graticule(extent: tuple[float, float, float, float], project: _Projection,
               width: int, height: int) -> list[str]:
    west, south, east, north = extent
    step = next(s for s in (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0) if (north - south) / s <= 6)
    out = []
    lon = math.ceil(west / step) * step
    while lon < east:
        x, _ = project(lon, north)
        out.append(f'<line class="graticule" x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height}"/>')
        out.append(f'<text class="tick" x="{x + 2:.1f}" y="{height - 3}">{_degrees(lon, "E", "W")}</text>')
        lon += step
    lat = math.ceil(south / step) * step
    while lat < north:
        _, y = project(west, lat)
        out.append(f'<line class="graticule" x1="0" y1="{y:.1f}" x2="{width}" y2="{y:.1f}"/>')
        out.append(f'<text class="tick" x="2" y="{y - 2:.1f}">{_degrees(lat, "N", "S")}</text>')
        lat += step
    return out


def _degrees(value: float, positive: str, negative: str) -> str:
    text = f"{abs(value):g}°"
    return text + (positive if value >= 0 else negative)


def _marker(marker: MapMarker, project: _Projection) -> list[str]:
    label = escape(marker.label)
    out = []
    x, y = project(*marker.location.anchor)
    out.append(f'<circle class="incident" cx="{x:.1f}" cy="{y:.1f}" r="7"/>')
    out.append(f'<text class="incident-label" x="{x:.1f}" y="{y + 3:.1f}">{label}</text>')
    return out


def _scale_bar(extent: tuple[float, float, float, float], project: _Projection,
               width: int, height: int) -> list[str]:
    km_per_px = 111.32 / project.scale  # one degree of latitude is ~111.32 km everywhere
    target = width * 0.2 * km_per_px
    nice = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)
    length_km = max((s for s in nice if s <= target), default=1)
    length_px = length_km / km_per_px
    x, y = width - length_px - 12, height - 14
    return [
        f'<rect class="scale-bg" x="{x - 4:.1f}" y="{y - 12:.1f}" width="{length_px + 8:.1f}" height="18"/>',
        f'<line class="scale" x1="{x:.1f}" y1="{y:.1f}" x2="{x + length_px:.1f}" y2="{y:.1f}"/>',
        f'<text class="scale-label" x="{x + length_px / 2:.1f}" y="{y - 3:.1f}">{length_km} km</text>',
        f'<text class="north" x="{width - 14}" y="16">N↑</text>',
    ]
