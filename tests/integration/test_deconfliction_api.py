"""Conflicts through the HTTP API on SQLite and PostgreSQL: detection, blocking, override, steps,
protected sites, and warnings across markings that leak nothing."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from fastapi.testclient import TestClient
from pyproj import Geod

from concord.centre import Centre
from concord.clock import FixedClock
from tests.integration.ops_helpers import box, national_body, operation_body, proposed, staff, window

GEOD = Geod(ellps="WGS84")


def hospital(lon: float, lat: float, buffer_m: float = 500.0) -> dict[str, object]:
    return {"kind": "hospital", "name": "Fictional Riverside Clinic", "buffer_m": buffer_m,
            "geometry": {"type": "Point", "coordinates": [lon, lat]}}


def test_a_site_within_stand_off_blocks_approval_until_overridden(centre: Centre, client: TestClient,
                                                                  clock: FixedClock) -> None:
    s = staff(centre, client)
    # 700 m (geodesic) east of the area's east edge: inside 500 m site buffer + 500 m operation stand-off.
    lon, lat, _ = GEOD.fwd(43.1, 36.05, 90.0, 700.0)
    site = s.irq_watch.post("/api/sites", json=hospital(lon, lat))
    assert site.status_code == 201, site.text
    # ... and one 1,100 m away: outside.
    far_lon, far_lat, _ = GEOD.fwd(43.1, 36.05, 90.0, 1_100.0)
    assert s.irq_watch.post("/api/sites", json=hospital(far_lon, far_lat)).status_code == 201
    op = proposed(s.tur_planner, operation_body(clock.now()))
    assert op["blocking_conflicts"] == 1
    [conflict] = s.tur_general.get(f"/api/operations/{op['id']}/conflicts").json()
    assert conflict["restricted"] is False and conflict["status"] == "open"
    assert [side["item"] for side in conflict["sides"]] == [f"operation:{op['id']}", f"site:{site.json()['id']}"]
    assert 0 < conflict["area_m2"] < 3.2e6
    blocked = s.tur_general.post(f"/api/operations/{op['id']}/approve", json={"version": 1})
    assert blocked.status_code == 409 and blocked.json()["error"]["details"]["conflicts"] == [conflict["conflict_id"]]
    short = s.tur_general.post(f"/api/operations/{op['id']}/approve",
                               json={"version": 1, "override_justification": "ok"})
    assert short.status_code == 422 and short.json()["error"]["details"]["field"] == "justification"
    # Nothing was written by the refused attempts.
    assert s.tur_general.get(f"/api/operations/{op['id']}").json()["approvals"] == []
    # TUR's override is recorded, but it clears the conflict for TUR only: the site is IRQ's and IRQ
    # takes part, so the approval waits until IRQ has cleared it too.
    waiting = s.tur_general.post(f"/api/operations/{op['id']}/approve",
                                 json={"version": 1, "override_justification": "Clinic evacuated; liaison confirmed"})
    assert waiting.status_code == 409 and waiting.json()["error"]["details"]["conflicts"] == [conflict["conflict_id"]]
    detail = s.irq_watch.get(f"/api/conflicts/{conflict['conflict_id']}").json()
    assert detail["status"] == "open" and detail["awaiting_nations"] == ["IRQ"]
    assert [(o["nation"], o["version"], o["justification"]) for o in detail["overrides"]] == [
        ("TUR", 1, "Clinic evacuated; liaison confirmed")]
    assert s.irq_general.post(f"/api/operations/{op['id']}/approve", json={"version": 1}).status_code == 409
    approved = s.irq_general.post(f"/api/operations/{op['id']}/approve",
                                  json={"version": 1, "override_justification": "Clinic evacuated; IRQ agrees"})
    assert approved.status_code == 200 and approved.json()["pending_nations"] == ["TUR"], approved.text
    assert approved.json()["blocking_conflicts"] == 0
    assert s.irq_watch.get(f"/api/conflicts/{conflict['conflict_id']}").json()["awaiting_nations"] == []
    # A new version needs new overrides (and new approvals), from every nation concerned.
    moved = s.tur_planner.put(f"/api/operations/{op['id']}",
                              json=operation_body(clock.now(), window=window(clock.now(), 49, 24)))
    assert (moved.json()["version"], moved.json()["blocking_conflicts"]) == (2, 1)
    assert s.irq_general.post(f"/api/operations/{op['id']}/approve", json={"version": 2}).status_code == 409
    # An override on the conflict itself, by each nation's commander, unblocks version 2.
    for general in (s.irq_general, s.tur_general):
        assert general.post(f"/api/conflicts/{conflict['conflict_id']}/override",
                            json={"operation_id": op["id"], "justification": "Agreed at the morning brief"}
                            ).status_code == 200
    assert s.irq_planner.post(f"/api/conflicts/{conflict['conflict_id']}/override",
                              json={"operation_id": op["id"], "justification": "Agreed at the morning brief"}
                              ).status_code == 403
    for general in (s.irq_general, s.tur_general):
        final = general.post(f"/api/operations/{op['id']}/approve", json={"version": 2})
    assert final.json()["status"] == "approved"


def test_conflict_steps_and_automatic_resolution(centre: Centre, client: TestClient, clock: FixedClock) -> None:
    s = staff(centre, client)
    first = proposed(s.tur_planner, operation_body(clock.now()))
    second = proposed(s.irq_planner, operation_body(clock.now(), name="Operation BLUE REED",
                                                     area=box(43.05, 36.05), forces=[], tasks=[],
                                                     phases=[]))
    [conflict] = s.irq_watch.get(f"/api/operations/{second['id']}/conflicts").json()
    cid = conflict["conflict_id"]
    assert conflict["sides"][1]["name"] == "Operation SILVER FORD"
    no_note = s.irq_watch.post(f"/api/conflicts/{cid}/acknowledge", json={"note": ""})
    assert no_note.status_code == 422 and no_note.json()["error"]["details"]["field"] == "note"
    assert s.irq_watch.post(f"/api/conflicts/{cid}/acknowledge", json={"note": "Seen on shift"}).status_code == 200
    assert s.irq_watch.post(f"/api/conflicts/{cid}/acknowledge", json={"note": "again"}).status_code == 409
    # Acknowledged is not resolved: approval stays blocked.
    blocked = s.irq_general.post(f"/api/operations/{second['id']}/approve", json={"version": 1})
    assert blocked.status_code == 409
    # Moving the Iraqi operation away resolves the conflict by itself, with a note saying why.
    moved = s.irq_planner.put(f"/api/operations/{second['id']}",
                              json=operation_body(clock.now(), name="Operation BLUE REED", area=box(44.0, 36.5),
                                                  forces=[], tasks=[], phases=[]))
    assert moved.json()["version"] == 2 and moved.json()["blocking_conflicts"] == 0
    detail = s.irq_watch.get(f"/api/conflicts/{cid}").json()
    assert detail["status"] == "resolved"
    assert [st["status"] for st in detail["steps"]] == ["acknowledged", "resolved"]
    assert "version 2" in detail["steps"][1]["note"] and detail["steps"][1]["person_id"] is None
    assert s.tur_general.get(f"/api/operations/{first['id']}").json()["blocking_conflicts"] == 0


def test_time_and_altitude_separate_what_space_does_not(centre: Centre, client: TestClient,
                                                        clock: FixedClock) -> None:
    s = staff(centre, client)
    base = {"forces": [], "tasks": [], "phases": []}
    proposed(s.tur_planner, operation_body(clock.now(), altitude={"low_m": 0, "high_m": 1000}, **base))
    later = proposed(s.irq_planner, operation_body(clock.now(), window=window(clock.now(), 24, 100), **base))
    higher = proposed(s.irq_planner, operation_body(clock.now(), altitude={"low_m": 2000, "high_m": 4000}, **base))
    overlapping = proposed(s.irq_planner, operation_body(clock.now(), altitude={"low_m": 500, "high_m": 800}, **base))
    assert later["blocking_conflicts"] == 0 and higher["blocking_conflicts"] == 0
    assert overlapping["blocking_conflicts"] == 1


def test_a_cancelled_operation_resolves_its_conflicts(centre: Centre, client: TestClient, clock: FixedClock) -> None:
    s = staff(centre, client)
    first = proposed(s.tur_planner, operation_body(clock.now()))
    second = proposed(s.irq_planner, operation_body(clock.now(), forces=[], tasks=[], phases=[]))
    assert second["blocking_conflicts"] == 1
    s.tur_planner.post(f"/api/operations/{first['id']}/cancel", json={"reason": "Called off"})
    assert s.irq_general.get(f"/api/operations/{second['id']}").json()["blocking_conflicts"] == 0
    assert s.irq_watch.get("/api/conflicts", params={"status": "open"}).json() == []


def test_warnings_across_markings_leak_nothing(centre: Centre, client: TestClient, clock: FixedClock) -> None:
    s = staff(centre, client)
    secret = proposed(s.tur_planner, national_body(clock.now(), name="Operation NIGHT HERON",
                                                   objective="Fictional covert crossing"))
    activity = s.irq_planner.post("/api/activities", json={
        "name": "Iraqi border sweep (demo)", "description": "Fictional national activity",
        "area": box(43.05, 36.05), "window": window(clock.now(), 12, 30)})
    assert activity.status_code == 201, activity.text
    # Iraq is warned of a conflict with something it may not see ...
    [warning] = s.irq_watch.get("/api/conflicts").json()
    assert warning["restricted"] is True
    assert warning["other_side"] == "another nation's restricted activity"
    assert warning["contact"] == centre.settings.deconfliction_contact
    assert warning["your_item"] == f"activity:{activity.json()['id']}"
    assert warning["area_m2"] > 0 and warning["starts_at"] and warning["ends_at"]
    # ... and nothing of it leaks: not its id, name, objective, nation, marking, steps or overrides.
    irq_view = json.dumps([warning, s.irq_watch.get(f"/api/conflicts/{warning['conflict_id']}").json(),
                           s.irq_watch.get("/api/events").json()])
    for secret_text in (f"operation:{secret['id']}", "NIGHT HERON", "covert", "Demo Special Unit"):
        assert secret_text not in irq_view
    assert set(warning) == {"conflict_id", "status", "your_item", "overlap", "area_m2", "starts_at", "ends_at",
                            "other_side", "contact", "restricted"}
    assert s.irq_watch.get(f"/api/operations/{secret['id']}").status_code == 404
    # Where and when only coarsely: whole grid cells and whole hours, so no outline can be traced.
    corners = [c for ring in warning["overlap"]["coordinates"] for c in ring]
    assert all(round(v * 20, 6).is_integer() for corner in corners for v in corner)
    assert warning["starts_at"].endswith(":00:00.000Z") and warning["ends_at"].endswith(":00:00.000Z")
    # Iraq was informed (not asked) through the event log, on its own item, as coarsely.
    informed = [e for e in s.irq_watch.get("/api/events").json() if e["kind"] == "conflict.detected"]
    assert [e["payload"]["your_item"] for e in informed] == [warning["your_item"]]
    assert informed[0]["payload"]["overlap"] == warning["overlap"]
    # Iraq may acknowledge the warning; the Turkish side sees its own warning about the Iraqi activity.
    ack = s.irq_watch.post(f"/api/conflicts/{warning['conflict_id']}/acknowledge", json={"note": "Holding north"})
    assert ack.status_code == 200 and ack.json()["restricted"] is True and "steps" not in ack.json()
    [tur_warning] = s.tur_general.get(f"/api/operations/{secret['id']}/conflicts").json()
    assert tur_warning["restricted"] is True and tur_warning["status"] == "acknowledged"
    assert "border sweep" not in json.dumps(tur_warning)
    # Turkey's commander may override for its own operation without learning more about the activity;
    # the activity is Iraq's, so the approval waits until Iraq has cleared the conflict for itself.
    waiting = s.tur_general.post(f"/api/operations/{secret['id']}/approve",
                                 json={"version": 1, "override_justification": "Deconflicted by phone via the cell"})
    assert waiting.status_code == 409 and "IRQ" not in waiting.text
    resolved = s.irq_watch.post(f"/api/conflicts/{warning['conflict_id']}/resolve", json={"note": "Sweep moved north"})
    assert resolved.status_code == 200 and resolved.json()["restricted"] is True
    assert "NIGHT HERON" not in resolved.text and "TUR" not in resolved.text
    approved = s.tur_general.post(f"/api/operations/{secret['id']}/approve", json={"version": 1})
    assert approved.json()["status"] == "approved", approved.text


def test_humanitarian_movement_and_acknowledgement(centre: Centre, client: TestClient, clock: FixedClock) -> None:
    s = staff(centre, client)
    op = proposed(s.tur_planner, operation_body(clock.now()))
    start = clock.now() + timedelta(hours=30)
    movement = s.irq_planner.post("/api/sites", json={
        "kind": "humanitarian_movement", "name": "Demo aid convoy", "buffer_m": 200,
        "geometry": {"type": "LineString", "coordinates": [[42.9, 36.05], [43.3, 36.05]]},
        "window": {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=4)).isoformat()}})
    assert movement.status_code == 201, movement.text
    site_id = movement.json()["id"]
    assert movement.json()["status"] == "notified"
    [conflict] = s.tur_general.get(f"/api/operations/{op['id']}/conflicts").json()
    assert conflict["ends_at"] == (start + timedelta(hours=4)).isoformat().replace("+00:00", ".000Z")
    assert {side["item"] for side in conflict["sides"]} == {f"site:{site_id}", f"operation:{op['id']}"}
    no_window = s.irq_planner.post("/api/sites", json={"kind": "humanitarian_movement", "name": "Convoy without times",
                                                        "geometry": movement.json()["geometry"]})
    assert no_window.status_code == 422 and no_window.json()["error"]["details"]["field"] == "window"
    ack = s.tur_general.post(f"/api/sites/{site_id}/acknowledge")
    assert ack.json()["status"] == "acknowledged"
    assert s.tur_general.post(f"/api/sites/{site_id}/acknowledge").status_code == 409
    retired = s.irq_planner.post(f"/api/sites/{site_id}/retire", json={"reason": "Convoy arrived"})
    assert retired.json()["status"] == "retired"
    assert s.tur_general.get(f"/api/operations/{op['id']}").json()["blocking_conflicts"] == 0


def test_bad_site_input_names_the_field(centre: Centre, client: TestClient) -> None:
    s = staff(centre, client)
    cases = [
        ({"kind": "castle", "name": "x", "geometry": {"type": "Point", "coordinates": [43, 36]}}, "kind"),
        ({"kind": "school", "name": "x", "geometry": {"type": "Point", "coordinates": [43, 91]}},
         "geometry.coordinates[1]"),
        ({"kind": "school", "name": "x", "geometry": {"type": "LineString", "coordinates": [[43, 36], [43.1, 36]]}},
         "geometry.type"),
        ({"kind": "school", "name": "x", "buffer_m": -1, "geometry": {"type": "Point", "coordinates": [43, 36]}},
         "buffer_m"),
    ]
    for body, field in cases:
        response = s.irq_planner.post("/api/sites", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"]["field"] == field
    assert s.irq_planner.get("/api/sites").json() == []


def test_every_process_follows_the_event_log(centre: Centre, client: TestClient, clock: FixedClock) -> None:
    """A second server process on the same database sees the first one's operations in its engine,
    both when rebuilt at start-up and when following events written afterwards."""
    s = staff(centre, client)
    first = proposed(s.tur_planner, operation_body(clock.now()))
    other = Centre(centre.settings, clock=clock)
    try:
        assert other.deconfliction.rebuild() == 1
        assert f"operation:{first['id']}" in other.deconfliction.engine
        second = proposed(s.irq_planner, operation_body(clock.now(), forces=[], tasks=[], phases=[]))
        assert f"operation:{second['id']}" not in other.deconfliction.engine
        with other.db.read() as conn:
            other.deconfliction.catch_up(conn)
        assert f"operation:{second['id']}" in other.deconfliction.engine
        s.tur_planner.post(f"/api/operations/{first['id']}/cancel", json={"reason": "Called off"})
        with other.db.read() as conn:
            other.deconfliction.catch_up(conn)
        assert f"operation:{first['id']}" not in other.deconfliction.engine
    finally:
        other.close()


def test_the_server_keeps_its_engine_current_in_the_background(centre: Centre, client: TestClient,
                                                               clock: FixedClock) -> None:
    """After a proposal commits, the process's follower applies it without any further request."""
    s = staff(centre, client)
    op = proposed(s.tur_planner, operation_body(clock.now()))
    key = f"operation:{op['id']}"
    deadline = time.monotonic() + 10
    while key not in centre.deconfliction.engine and time.monotonic() < deadline:
        time.sleep(0.05)
    assert key in centre.deconfliction.engine
    s.tur_planner.post(f"/api/operations/{op['id']}/cancel", json={"reason": "Called off"})
    deadline = time.monotonic() + 10
    while key in centre.deconfliction.engine and time.monotonic() < deadline:
        time.sleep(0.05)
    assert key not in centre.deconfliction.engine


def test_a_draft_is_checked_before_proposal_without_writing(centre: Centre, client: TestClient,
                                                            clock: FixedClock) -> None:
    s = staff(centre, client)
    proposed(s.tur_planner, national_body(clock.now(), name="Operation NIGHT HERON"))
    visible = proposed(s.irq_planner, operation_body(clock.now(), name="Operation OPEN RIVER", forces=[], tasks=[],
                                                      phases=[]))
    draft = s.irq_planner.post("/api/operations", json=operation_body(clock.now(), name="Iraqi draft", forces=[],
                                                                     tasks=[], phases=[])).json()
    before = s.irq_watch.get("/api/conflicts").json()
    found = s.irq_planner.get(f"/api/operations/{draft['id']}/deconfliction").json()
    assert sorted(f["restricted"] for f in found) == [False, True]
    named = next(f for f in found if not f["restricted"])
    assert named["item"] == f"operation:{visible['id']}" and named["name"] == "Operation OPEN RIVER"
    assert "NIGHT HERON" not in json.dumps(found)
    assert s.irq_watch.get("/api/conflicts").json() == before   # nothing written
