"""The operation editor's live check (POST /api/operations/deconfliction-preview): an unsaved area
and window against what the planner may see, naming nothing hidden and writing nothing."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.clock import FixedClock
from tests.integration.ops_helpers import box, national_body, operation_body, proposed, staff, window

URL = "/api/operations/deconfliction-preview"


def _site(lon: float, lat: float, name: str, marking: dict[str, object] | None = None) -> dict[str, object]:
    body: dict[str, object] = {"kind": "school", "name": name, "buffer_m": 200,
                               "geometry": {"type": "Point", "coordinates": [lon, lat]}}
    if marking is not None:
        body["marking"] = marking
    return body


def test_a_draft_shape_meets_only_what_the_planner_may_see(centre: Centre, client: TestClient,
                                                           clock: FixedClock) -> None:
    s = staff(centre, client)
    hidden_op = proposed(s.tur_planner, national_body(clock.now(), name="Operation NIGHT HERON"))
    shared_op = proposed(s.tur_planner, operation_body(clock.now(), name="Operation OPEN RIVER", forces=[],
                                                       tasks=[], phases=[]))
    school = s.irq_watch.post("/api/sites", json=_site(43.05, 36.05, "Fictional Hill School"))
    assert school.status_code == 201, school.text
    hidden_site = s.tur_planner.post("/api/sites", json=_site(43.06, 36.06, "Fictional Secret Clinic",
                                                               {"level": "RESTRICTED", "releasable_to": []}))
    assert hidden_site.status_code == 201, hidden_site.text
    before = s.irq_watch.get("/api/conflicts").json()
    events_before = s.irq_watch.get("/api/events?after=0&limit=1000").json()

    reply = s.irq_planner.post(URL, json={"area": box(43.0, 36.0), "window": window(clock.now(), 48, 24)})

    assert reply.status_code == 200, reply.text
    found = reply.json()
    assert sorted((f["kind"], f["name"]) for f in found) == [
        ("operation", "Operation OPEN RIVER"), ("site", "Fictional Hill School")]
    assert {f["item"] for f in found} == {f"operation:{shared_op['id']}", f"site:{school.json()['id']}"}
    assert all(f["area_m2"] > 0 and f["overlap"]["type"] in ("Polygon", "MultiPolygon") for f in found)
    text = json.dumps(found)
    assert "NIGHT HERON" not in text and "Secret Clinic" not in text and f"operation:{hidden_op['id']}" not in text
    # Nothing written: no conflict and no event.
    assert s.irq_watch.get("/api/conflicts").json() == before
    assert s.irq_watch.get("/api/events?after=0&limit=1000").json() == events_before
    # The owner sees its own items in the same place.
    tur = s.tur_planner.post(URL, json={"area": box(43.0, 36.0), "window": window(clock.now(), 48, 24)}).json()
    assert {"Operation NIGHT HERON", "Fictional Secret Clinic"} <= {f["name"] for f in tur}


def test_a_draft_elsewhere_or_at_another_time_meets_nothing(centre: Centre, client: TestClient,
                                                            clock: FixedClock) -> None:
    s = staff(centre, client)
    proposed(s.irq_planner, operation_body(clock.now(), name="Operation OPEN RIVER", forces=[], tasks=[], phases=[]))
    far = s.irq_planner.post(URL, json={"area": box(40.0, 38.0), "window": window(clock.now(), 48, 24)})
    assert far.status_code == 200 and far.json() == []
    later = s.irq_planner.post(URL, json={"area": box(43.0, 36.0), "window": window(clock.now(), 12, 24 * 30)})
    assert later.status_code == 200 and later.json() == []


def test_the_plan_being_edited_does_not_meet_itself(centre: Centre, client: TestClient, clock: FixedClock) -> None:
    s = staff(centre, client)
    mine = proposed(s.irq_planner, operation_body(clock.now(), name="Operation OPEN RIVER", forces=[], tasks=[],
                                                  phases=[]))
    body = {"area": box(43.0, 36.0), "window": window(clock.now(), 48, 24)}
    assert [f["name"] for f in s.irq_planner.post(URL, json=body).json()] == ["Operation OPEN RIVER"]
    assert s.irq_planner.post(URL, json={**body, "operation_id": mine["id"]}).json() == []


def test_an_operation_id_the_planner_may_not_see_answers_as_absent(centre: Centre, client: TestClient,
                                                                   clock: FixedClock) -> None:
    s = staff(centre, client)
    hidden = proposed(s.tur_planner, national_body(clock.now(), name="Operation NIGHT HERON"))
    body = {"area": box(43.0, 36.0), "window": window(clock.now(), 48, 24)}
    replies = [s.irq_planner.post(URL, json={**body, "operation_id": i}) for i in (hidden["id"], 2**31 - 1)]
    assert [r.status_code for r in replies] == [404, 404]
    assert replies[0].json()["error"]["code"] == replies[1].json()["error"]["code"]
    assert replies[0].json()["error"].get("details") == replies[1].json()["error"].get("details")


def test_bad_drafts_are_refused_naming_the_field(centre: Centre, client: TestClient, clock: FixedClock) -> None:
    s = staff(centre, client)
    backwards = window(clock.now(), 48, 24)
    backwards = {"starts_at": backwards["ends_at"], "ends_at": backwards["starts_at"]}
    reply = s.irq_planner.post(URL, json={"area": box(43.0, 36.0), "window": backwards})
    assert reply.status_code == 422 and reply.json()["error"]["details"]["field"] == "window.ends_at"
    open_ring = {"type": "Polygon", "coordinates": [[[43.0, 36.0], [43.1, 36.0], [43.1, 36.1]]]}
    reply = s.irq_planner.post(URL, json={"area": open_ring, "window": window(clock.now())})
    assert reply.status_code == 422 and reply.json()["error"]["details"]["field"].startswith("area")


def test_only_planners_may_check_a_draft(centre: Centre, client: TestClient, clock: FixedClock) -> None:
    s = staff(centre, client)
    reply = s.irq_watch.post(URL, json={"area": box(43.0, 36.0), "window": window(clock.now())})
    assert reply.status_code == 403
