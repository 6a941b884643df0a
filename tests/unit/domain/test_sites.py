"""Protected sites and movements, and the features of an imported FeatureCollection."""

from __future__ import annotations

import pytest

from concord.domain.errors import Invalid, StateConflict
from concord.domain.markings import Marking
from concord.domain.sites import (
    DEFAULT_BUFFER_M,
    SiteKind,
    SiteStatus,
    check_acknowledge,
    site_from_feature,
)

MARKING = Marking.build("UNCLASSIFIED", "IRQ", ["TUR"], tlp="CLEAR")


def feature(geometry: dict[str, object] | None = None, **props: object) -> dict[str, object]:
    return {
        "type": "Feature",
        "geometry": geometry or {"type": "Point", "coordinates": [43.1, 36.3]},
        "properties": {"kind": "hospital", "name": "Fictional Valley Clinic", **props},
    }


def test_a_point_site_gets_its_kinds_default_buffer() -> None:
    site = site_from_feature(feature(), 0, MARKING)
    assert site.kind == SiteKind.HOSPITAL and site.buffer_m == DEFAULT_BUFFER_M[SiteKind.HOSPITAL]
    fp = site.footprint("site:1")
    assert fp.starts_at is None and fp.buffer_m == 500.0


def test_a_movement_is_a_route_with_a_window() -> None:
    route = {"type": "LineString", "coordinates": [[43.0, 36.0], [43.2, 36.1]]}
    site = site_from_feature(
        feature(
            route,
            kind="humanitarian_movement",
            buffer_m=250,
            starts_at="2027-04-01T06:00:00Z",
            ends_at="2027-04-01T18:00:00Z",
        ),
        3,
        MARKING,
    )
    assert site.window is not None and site.footprint("site:2").ends_at == site.window.ends_at


@pytest.mark.parametrize(
    ("feat", "field"),
    [
        ({"type": "Point"}, "features[4].type"),
        (feature(kind="castle"), "features[4].properties.kind"),
        (feature(name=""), "features[4].properties.name"),
        (feature(buffer_m=-5), "features[4].properties.buffer_m"),
        (feature(buffer_m="far"), "features[4].properties.buffer_m"),
        (feature(buffer_m=60_000), "features[4].properties.buffer_m"),
        (feature({"type": "LineString", "coordinates": [[43, 36], [43.1, 36]]}), "features[4].geometry.type"),
        (feature({"type": "Point", "coordinates": [43.1, 96]}), "features[4].geometry.coordinates[1]"),
        (
            feature(
                {"type": "LineString", "coordinates": [[43, 36], [43.1, 36]]}, kind="humanitarian_movement"
            ),
            "features[4].properties.window",
        ),
        (
            feature(starts_at="2027-04-01T06:00:00", ends_at="2027-04-02T06:00:00Z"),
            "features[4].properties.starts_at",
        ),
        (
            feature(starts_at="2027-04-02T06:00:00Z", ends_at="2027-04-01T06:00:00Z"),
            "features[4].properties.window.ends_at",
        ),
        (feature(starts_at="tomorrow", ends_at="2027-04-01T06:00:00Z"), "features[4].properties.starts_at"),
    ],
)
def test_bad_features_are_named(feat: object, field: str) -> None:
    with pytest.raises(Invalid) as caught:
        site_from_feature(feat, 4, MARKING)
    assert caught.value.field == field


def test_a_notification_is_acknowledged_once() -> None:
    check_acknowledge(SiteStatus.NOTIFIED)
    for status in (SiteStatus.ACKNOWLEDGED, SiteStatus.RETIRED):
        with pytest.raises(StateConflict):
            check_acknowledge(status)
