"""Mapping CoT events to the centre's items: tracks, GeoChat, map points, shapes, field markings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml.etree import Element, SubElement

from concord.domain.cot import CotEvent, EventClass, classify
from concord.domain.errors import Invalid
from concord.domain.markings import Level, Reader, Tlp, can_see
from concord.domain.tracks import (
    ALL_CHAT_ROOMS,
    FieldMarkings,
    MarkingRule,
    Shape,
    channel_for_chatroom,
    chat_from_event,
    chatroom_for_channel,
    history_cutoff,
    map_point_from_event,
    outline,
    sidc_for_type,
    track_from_event,
)

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def event(cot_type: str, how: str = "m-g", uid: str = "unit-1", **detail: dict[str, str]) -> CotEvent:
    element = Element("detail")
    for tag, attrs in detail.items():
        SubElement(element, tag.replace("group", "__group"), attrs)
    return CotEvent(uid=uid, type=cot_type, how=how, time=NOW, start=NOW, stale=NOW + timedelta(minutes=2),
                    lat=36.9, lon=43.1, hae=512.0, detail=element)


def test_classification_of_common_tak_types() -> None:
    assert classify(event("a-f-G-U-C")) is EventClass.POSITION
    assert classify(event("a-h-G", how="h-g-i-g-o")) is EventClass.MARKER
    assert classify(event("a-n-G", archive={})) is EventClass.MARKER
    assert classify(event("b-m-p-s-m")) is EventClass.MARKER
    assert classify(event("b-t-f")) is EventClass.CHAT
    assert classify(event("u-d-f")) is EventClass.SHAPE
    assert classify(event("t-x-c-t")) is EventClass.CONTROL
    assert classify(event("b-a-o-tbl")) is EventClass.OTHER


def test_sidc_follows_the_cot_type_tree() -> None:
    assert sidc_for_type("a-f-G-U-C-I") == "SFGPUCI--------"
    assert sidc_for_type("a-h-A-M-F") == "SHAPMF---------"
    assert sidc_for_type("a-u-G") == "SUGP-----------"
    assert all(len(s or "") == 15 for s in (sidc_for_type("a-f-G-U-C-I"), sidc_for_type("a-u-G")))
    assert sidc_for_type("b-m-p-s-m") is None
    assert sidc_for_type("a-z-G") is None


def test_position_report_becomes_a_track_that_goes_stale() -> None:
    report = event("a-f-G-U-C", contact={"callsign": "ALPHA-1"}, track={"speed": "3.5", "course": "270"},
                   group={"name": "Cyan"})
    track = track_from_event(report)
    assert (track.uid, track.callsign, track.group) == ("unit-1", "ALPHA-1", "Cyan")
    assert track.sidc == "SFGPUC---------"
    assert (track.lat, track.lon, track.hae, track.speed, track.course) == (36.9, 43.1, 512.0, 3.5, 270.0)
    assert not track.is_stale(NOW + timedelta(minutes=1))
    assert track.is_stale(NOW + timedelta(minutes=2))
    with pytest.raises(Invalid):
        track_from_event(event("b-t-f"))


def test_history_cutoff_needs_a_positive_retention() -> None:
    assert history_cutoff(NOW, timedelta(hours=6)) == NOW - timedelta(hours=6)
    with pytest.raises(Invalid) as caught:
        history_cutoff(NOW, timedelta(0))
    assert caught.value.field == "retention"


def test_geochat_without_text_is_invalid() -> None:
    with pytest.raises(Invalid) as caught:
        chat_from_event(event("b-t-f", __chat={"chatroom": ALL_CHAT_ROOMS}))
    assert caught.value.field == "detail"


def test_chatrooms_map_to_channels() -> None:
    assert channel_for_chatroom(ALL_CHAT_ROOMS, "field") == "field"
    assert channel_for_chatroom("Border North", "field") == "Border North"
    assert chatroom_for_channel("field", "field") == ALL_CHAT_ROOMS
    assert chatroom_for_channel("Border North", "field") == "Border North"


def test_spot_report_becomes_a_map_point() -> None:
    spot = event("b-m-p-s-m", how="h-g-i-g-o", uid="spot-1", contact={"callsign": "Spot 1"},
                 link={"uid": "ANDROID-tur-1", "relation": "p-p", "type": "a-f-G-U-C"})
    point = map_point_from_event(spot)
    assert (point.kind, point.title, point.creator_uid) == ("spot", "Spot 1", "ANDROID-tur-1")
    hostile = map_point_from_event(event("a-h-G-U-C", how="h-g-i-g-o", uid="h-1"))
    assert (hostile.kind, hostile.sidc) == ("marker", "SHGPUC---------")
    with pytest.raises(Invalid):
        map_point_from_event(event("a-f-G-U-C"))


@pytest.mark.parametrize(("geometry", "radius", "field"), [
    ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, None, "geometry.type"),
    ({"type": "Point", "coordinates": [43.1, 36.9]}, None, "radius_m"),
    ({"type": "Point", "coordinates": [200, 36.9]}, 10.0, "geometry.coordinates"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]}, None, "geometry.coordinates"),
])
def test_unusable_geometry_names_the_field(geometry: dict[str, object], radius: float | None,
                                           field: str) -> None:
    with pytest.raises(Invalid) as caught:
        outline(Shape("x", "x", geometry, radius_m=radius))
    assert caught.value.field == field


def test_field_markings_group_rule_wins_over_nation_and_default() -> None:
    markings = FieldMarkings(
        default=MarkingRule(Level.RESTRICTED, frozenset({"TUR", "IRQ"})),
        by_nation={"IRQ": MarkingRule(Level.RESTRICTED, frozenset({"TUR"}))},
        by_group={"Red": MarkingRule(Level.RESTRICTED, frozenset(), Tlp.AMBER_STRICT)},
    )
    tur_reader = Reader(1, "TUR", Level.SECRET)
    irq_reader = Reader(2, "IRQ", Level.SECRET)
    partners = ["TUR", "IRQ", "JOR"]
    shared = markings.marking_for("TUR", "Cyan", partners)
    assert can_see(irq_reader, shared)
    national = markings.marking_for("TUR", "Red", partners)
    assert can_see(tur_reader, national) and not can_see(irq_reader, national)
    assert markings.marking_for("IRQ", None, partners).releasable_to == frozenset({"IRQ", "TUR"})
    everyone = FieldMarkings().marking_for("JOR", "Cyan", partners)
    assert everyone.releasable_to == frozenset(partners) and everyone.level is Level.RESTRICTED
