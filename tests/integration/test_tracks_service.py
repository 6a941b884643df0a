"""Tracks storage and the TAK feed on SQLite and PostgreSQL: stale times, history retention, areas
and channel messages going out to field units, and the tracks API through the policy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import shapely
from fastapi.testclient import TestClient

from concord.app import create_app
from concord.centre import Centre
from concord.clock import FixedClock
from concord.cot.render import content_to_xml, inbound_xml
from concord.cot.xml import parse_event
from concord.domain.markings import Level, Marking, Reader, Tlp
from concord.domain.operation_lifecycle import Decision
from concord.domain.operations import OperationPlan, Window
from concord.domain.people import Actor, Role
from concord.domain.sites import SiteKind, SiteSpec
from concord.domain.tracks import ALL_CHAT_ROOMS, chat_from_event
from concord.settings import CotSettings, FieldMarkingSettings, MarkingRuleSettings
from tests.conftest import fast_settings
from tests.factories import field_centre, person, sign_in
from tests.unit.cot.cot_samples import marker_xml, position_xml


@pytest.fixture
def cot_centre(database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Centre]:
    cot = CotSettings(track_history_hours=1.0, markings=FieldMarkingSettings(
        by_group={"Red": MarkingRuleSettings(releasable_to=[])}))
    centre = field_centre(Centre(fast_settings(database_url, tmp_path / "data", cot=cot), clock=clock))
    yield centre
    centre.close()


def test_stale_tracks_leave_the_picture_and_old_history_is_pruned(cot_centre: Centre, clock: FixedClock) -> None:
    tur = cot_centre.tracks.identify("tur.field")
    start = clock.now()
    cot_centre.tracks.ingest(tur, "c1", [inbound_xml(position_xml(uid="t-1", when=start))])
    assert [t["uid"] for t in cot_centre.tracks.tracks(tur.reader)] == ["t-1"]
    assert len(cot_centre.tracks.picture(tur.reader)) == 1

    clock.advance(timedelta(minutes=3))           # position_xml is stale after 2 minutes
    assert cot_centre.tracks.tracks(tur.reader) == []
    assert cot_centre.tracks.picture(tur.reader) == []
    items, _ = cot_centre.tracks.feed(tur.reader, 0)
    assert items == []                             # a stale report is not sent to anyone

    clock.advance(timedelta(hours=2))
    cot_centre.tracks.ingest(tur, "c1", [inbound_xml(position_xml(uid="t-1", lat=37.0, when=clock.now()))])
    assert cot_centre.tracks.prune_history() == 1
    assert [p.lat for p in cot_centre.tracks.history(tur.reader, "t-1")] == [37.0]


def test_operation_areas_and_protected_sites_go_out_as_drawings_through_the_policy(cot_centre: Centre,
                                                                                  clock: FixedClock) -> None:
    commander_id, _ = person(cot_centre, "TUR", (Role.COMMANDER,), username="tur.commander")
    commander = Actor.at(person_id=commander_id, username="tur.commander", display_name="Commander", nation="TUR",
                         clearance=Level.SECRET, appointments=cot_centre.people.get(commander_id).appointments,
                         now=clock.now())
    window = Window(clock.now() + timedelta(days=1), clock.now() + timedelta(days=2))
    shared = Marking.build(Level.RESTRICTED, "TUR", ["IRQ"], Tlp.AMBER)
    plan = OperationPlan("Operation KESTREL (demo)", "Escort a fictional convoy", "TUR", ("TUR",), shared,
                         shapely.box(43.0, 36.0, 43.5, 36.5), window)
    operation = cot_centre.operations.create(commander, plan).operation
    draft = cot_centre.operations.create(commander, plan).operation          # never shown: a draft
    proposed = cot_centre.operations.propose(commander, operation.id).operation
    cot_centre.operations.decide(commander, operation.id, version=proposed.version, decision=Decision.APPROVED)
    cot_centre.sites.add(commander, SiteSpec(SiteKind.HOSPITAL, "Field hospital (demo)", shapely.Point(43.1, 36.9),
                                             250.0, Marking.build(Level.RESTRICTED, "TUR", [], Tlp.AMBER_STRICT)))

    tur = cot_centre.tracks.identify("tur.field")
    irq = cot_centre.tracks.identify("irq.field")
    tur_shapes = {i.uid: parse_event(content_to_xml(i.content, clock.now()))
                  for i in cot_centre.tracks.feed(tur.reader, 0)[0]}
    assert set(tur_shapes) == {f"concord-operation-{operation.id}", "concord-site-1"}
    assert f"concord-operation-{draft.id}" not in tur_shapes
    drawing = tur_shapes[f"concord-operation-{operation.id}"]
    assert drawing.type == "u-d-r" and drawing.callsign == "Operation KESTREL (demo)"
    assert tur_shapes["concord-site-1"].type == "u-d-c-c"
    assert tur_shapes["concord-site-1"].detail_attr("shape/ellipse", "major") == "250.0"
    irq_shapes = {i.uid for i in cot_centre.tracks.feed(irq.reader, 0)[0]}
    assert irq_shapes == {f"concord-operation-{operation.id}"}      # the national site stays national
    # A client connecting later finds them in its current picture, through the policy as well.
    def picture(reader: Reader) -> set[str]:
        return {parse_event(content_to_xml(c, clock.now())).uid for c, _ in cot_centre.tracks.picture(reader)}
    assert picture(tur.reader) == set(tur_shapes)
    assert picture(irq.reader) == irq_shapes


def test_channel_messages_go_out_as_geochat_to_who_may_read_them(cot_centre: Centre, clock: FixedClock) -> None:
    watch_id, _ = person(cot_centre, "IRQ", (Role.WATCH_OFFICER,), username="irq.watch")
    view = cot_centre.people.get(watch_id)
    watch = Actor.at(person_id=watch_id, username=view.username, display_name=view.display_name, nation="IRQ",
                     clearance=view.clearance, appointments=view.appointments, now=clock.now())
    cot_centre.channels.ensure_standard_channels()
    channels = {c.name: c.id for c in cot_centre.channels.channels(watch)}
    shared = Marking.build(Level.RESTRICTED, "IRQ", ["TUR"], Tlp.AMBER)
    cot_centre.messaging.post(watch, channels["Joint watch"], body="All units: road 4 closed", precedence="PRIORITY",
                              marking=shared)
    cot_centre.messaging.post(watch, channels["IRQ internal"], body="IRQ only", precedence="ROUTINE",
                              marking=Marking.build(Level.RESTRICTED, "IRQ", [], Tlp.AMBER_STRICT))

    def chats(username: str) -> list[tuple[str, str]]:
        items, _ = cot_centre.tracks.feed(cot_centre.tracks.identify(username).reader, 0)
        events = [parse_event(content_to_xml(i.content, clock.now())) for i in items]
        return [(m.chatroom, m.text) for m in (chat_from_event(e) for e in events if e.type == "b-t-f")]

    assert chats("tur.field") == [(ALL_CHAT_ROOMS, "All units: road 4 closed")]
    assert chats("irq.field") == [(ALL_CHAT_ROOMS, "All units: road 4 closed"), ("IRQ internal", "IRQ only")]


def test_tracks_api_shows_only_what_the_caller_may_see(cot_centre: Centre, clock: FixedClock) -> None:
    tur = cot_centre.tracks.identify("tur.field")
    now = clock.now()
    cot_centre.tracks.ingest(tur, "c1", [
        inbound_xml(position_xml(uid="shared-1", when=now)),
        inbound_xml(position_xml(uid="national-1", group="Red", when=now)),
        inbound_xml(marker_xml(uid="spot-9", when=now)),
    ])
    person(cot_centre, "IRQ", (Role.WATCH_OFFICER,), username="irq.watch")
    with TestClient(create_app(centre=cot_centre)) as http:
        api = sign_in(http, "irq.watch")
        tracks = api.get("/api/tracks")
        assert tracks.status_code == 200
        assert [t["uid"] for t in tracks.json()] == ["shared-1"]
        assert tracks.json()[0]["sidc"] == "SFGPUC---------"
        assert tracks.json()[0]["marking"]["originator"] == "TUR"
        assert [p["uid"] for p in api.get("/api/map-points").json()] == ["spot-9"]
        assert len(api.get("/api/tracks/shared-1/history").json()) == 1
        hidden, absent = api.get("/api/tracks/national-1/history"), api.get("/api/tracks/no-such-uid/history")
        assert hidden.status_code == absent.status_code == 404
        assert hidden.json()["error"]["code"] == absent.json()["error"]["code"]
        assert http.get("/api/tracks").status_code == 401


def test_of_the_positions_a_gateway_relayed_only_the_newest_per_uid_is_stored(cot_centre: Centre,
                                                                             clock: FixedClock) -> None:
    from dataclasses import replace

    tur = cot_centre.tracks.identify("tur.field")
    marking = cot_centre.tracks.markings.marking_for("TUR", "Cyan", ["TUR", "IRQ"])
    now = clock.now()
    reports = [replace(inbound_xml(position_xml(uid=uid, lat=lat, when=now + timedelta(seconds=n))),
                       marking=marking, relayed_by="gateway-1")
               for n, (uid, lat) in enumerate([("t-1", 36.1), ("t-2", 36.2), ("t-1", 36.3), ("t-1", 36.4)])]
    before = cot_centre.tracks.latest_event_id()
    assert cot_centre.tracks.ingest(tur, "c1", reports) == []
    assert cot_centre.tracks.positions_coalesced == 2
    assert [p.lat for p in cot_centre.tracks.history(tur.reader, "t-1")] == [36.4]
    items, _ = cot_centre.tracks.feed(tur.reader, before)
    assert sorted((i.uid, i.relayed_by) for i in items) == [("t-1", "gateway-1"), ("t-2", "gateway-1")]
    assert {t["uid"]: t["lat"] for t in cot_centre.tracks.tracks(tur.reader)} == {"t-1": 36.4, "t-2": 36.2}
