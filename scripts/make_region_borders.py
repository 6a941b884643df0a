"""Regenerate concord/reports/data/region_borders.geojson, the country outlines of the SITREP map.

Source: Natural Earth 1:50m admin-0 countries (public domain) as TopoJSON in the npm package
`world-atlas` (ISC licence): `npm pack world-atlas && tar xzf world-atlas-*.tgz`, then

    python scripts/make_region_borders.py package/countries-50m.json

The outlines are clipped to the centre's region and simplified, so the file stays small (the map is
a few centimetres wide on paper). Run it again to widen the region when a partner joins.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from shapely.geometry import box, mapping, shape

REGION = (18.0, 24.0, 56.0, 46.0)  # lon/lat box: the Balkans to the Gulf, Egypt to the Caucasus
TOLERANCE = 0.01  # degrees (about 1 km): finer than the map can show
OUTPUT = Path(__file__).resolve().parent.parent / "concord/reports/data/region_borders.geojson"

# ISO 3166-1 numeric (world-atlas ids) → alpha-3 for the countries that fall in REGION.
ALPHA3 = {
    "008": "ALB", "031": "AZE", "048": "BHR", "051": "ARM", "070": "BIH", "100": "BGR", "191": "HRV",
    "196": "CYP", "268": "GEO", "275": "PSE", "300": "GRC", "364": "IRN", "368": "IRQ", "376": "ISR",
    "398": "KAZ", "400": "JOR", "414": "KWT", "422": "LBN", "434": "LBY", "498": "MDA", "499": "MNE",
    "512": "OMN", "634": "QAT", "642": "ROU", "643": "RUS", "682": "SAU", "688": "SRB", "729": "SDN",
    "760": "SYR", "784": "ARE", "792": "TUR", "795": "TKM", "804": "UKR", "807": "MKD", "818": "EGY",
    "860": "UZB", "348": "HUN", "703": "SVK", "705": "SVN", "040": "AUT", "380": "ITA", "470": "MLT",
    "887": "YEM", "232": "ERI", "148": "TCD", "112": "BLR",
}

OFFICIAL_NAMES = {"TUR": "Türkiye"}  # the name the country uses since 2022; Natural Earth 4.1 predates it


def decode_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """TopoJSON arcs are delta-encoded integers; `transform` maps them back to lon/lat."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])  # consecutive arcs share their end point
    return points


def main(source: str) -> None:
    topology = json.loads(Path(source).read_text())
    arcs = decode_arcs(topology)
    region = box(*REGION)
    features = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        kind = geometry.get("type")
        if kind == "Polygon":
            coords: Any = [ring(r, arcs) for r in geometry["arcs"]]
        elif kind == "MultiPolygon":
            coords = [[ring(r, arcs) for r in polygon] for polygon in geometry["arcs"]]
        else:
            continue
        outline = shape({"type": kind, "coordinates": coords}).buffer(0)
        clipped = outline.intersection(region)
        if clipped.is_empty:
            continue
        simplified = clipped.simplify(TOLERANCE, preserve_topology=True)
        code = ALPHA3.get(str(geometry.get("id", "")), "")
        name = OFFICIAL_NAMES.get(code) or geometry.get("properties", {}).get("name", "")
        features.append({"type": "Feature", "properties": {"iso_a3": code, "name": name},
                         "geometry": _rounded(mapping(simplified))})
    collection = {"type": "FeatureCollection",
                  "source": "Natural Earth 1:50m admin-0 countries via world-atlas 2, clipped and simplified",
                  "bbox": list(REGION), "features": features}
    OUTPUT.write_text(json.dumps(collection, separators=(",", ":"), ensure_ascii=False) + "\n")
    print(f"{len(features)} countries, {OUTPUT.stat().st_size} bytes → {OUTPUT}")


def _rounded(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _rounded(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        if node and all(isinstance(v, float) for v in node):
            return [round(v, 3) for v in node]
        return [_rounded(v) for v in node]
    return node


if __name__ == "__main__":
    main(sys.argv[1])
