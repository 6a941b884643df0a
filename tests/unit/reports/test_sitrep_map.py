from __future__ import annotations

import defusedxml.ElementTree as ET

from concord.domain.incident_facts import Location
from concord.reports.sitrep_map import MapMarker, fit_extent, incident_map_svg, region_borders

SVG = "{http://www.w3.org/2000/svg}"


def test_the_shipped_borders_cover_the_partner_nations() -> None:
    codes = {code for code, _ in region_borders()}
    assert {"TUR", "IRQ", "SYR", "IRN"} <= codes


def test_the_map_draws_each_incident_and_names_the_countries_in_view() -> None:
    markers = [MapMarker("1", Location.parse({"type": "Point", "coordinates": [44.05, 37.17]})),
               MapMarker("2", Location.parse({"type": "Polygon", "coordinates":
                                              [[[43.2, 37.0], [43.6, 37.0], [43.6, 37.25], [43.2, 37.0]]]}))]
    root = ET.fromstring(incident_map_svg(markers, width=400, height=250))
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "incident-label"]
    countries = {t.text for t in root.iter(f"{SVG}text") if t.get("class") == "country"}
    assert labels == ["1", "2"]
    assert {"TUR", "IRQ"} <= countries
    assert len([p for p in root.iter(f"{SVG}path") if p.get("class") == "incident-area"]) == 1
    # Every marker lies inside the frame.
    for circle in root.iter(f"{SVG}circle"):
        assert 0 < float(circle.get("cx", "-1")) < 400 and 0 < float(circle.get("cy", "-1")) < 250


def test_the_extent_contains_every_incident_and_keeps_the_frame_aspect() -> None:
    markers = [MapMarker("1", Location.parse({"type": "Point", "coordinates": [42.0, 37.0]})),
               MapMarker("2", Location.parse({"type": "Point", "coordinates": [45.0, 36.5]}))]
    west, south, east, north = fit_extent(markers, 480, 300)
    assert west < 42.0 and east > 45.0 and south < 36.5 and north > 37.0
