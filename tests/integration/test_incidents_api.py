"""Incidents through the HTTP API, on SQLite and PostgreSQL: every lifecycle rule and bad input."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.domain.markings import Level
from concord.domain.people import Role
from tests.factories import ApiClient, person, sign_in


def patch(api: ApiClient, url: str, body: dict[str, Any]) -> Any:
    return api.http.patch(url, headers=api.headers, json=body)


def report_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "border_violation",
        "title": "Armed group crossed near border post 14 (exercise)",
        "description": "Six people on foot, seen by a patrol.",
        "location": {"type": "Point", "coordinates": [44.05, 37.17]},
        "occurred_from": "2026-11-29T03:10:00Z",
        "counts": {"injured": 2},
        "marking": {"level": "RESTRICTED", "releasable_to": ["IRQ"]},
        "partners": ["IRQ"],
    }
    body.update(changes)
    return body


def two_sides(centre: Centre, client: TestClient) -> tuple[ApiClient, ApiClient]:
    person(centre, "TUR", (Role.WATCH_OFFICER,), username="tur.watch")
    person(centre, "IRQ", (Role.LIAISON_OFFICER,), username="irq.liaison")
    return sign_in(client, "tur.watch"), sign_in(client, "irq.liaison")


def test_full_lifecycle_with_timeline_and_events(centre: Centre, client: TestClient) -> None:
    tur, irq = two_sides(centre, client)
    created = tur.post("/api/incidents", json=report_body())
    assert created.status_code == 201, created.text
    incident = created.json()
    assert incident["status"] == "reported" and incident["awaiting_acknowledgement"] == ["IRQ"]
    assert incident["category_label"] == "Border violation"
    iid = incident["id"]
    # IRQ sees it and acknowledges; then the investigation, then closing.
    assert irq.get(f"/api/incidents/{iid}").status_code == 200
    assert tur.post(f"/api/incidents/{iid}/investigate").status_code == 409  # not yet acknowledged
    acked = irq.post(f"/api/incidents/{iid}/acknowledge")
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
    assert irq.post(f"/api/incidents/{iid}/acknowledge").status_code == 409  # only once
    assert tur.post(f"/api/incidents/{iid}/close", json={"note": "x"}).status_code == 409  # not investigated
    assert irq.post(f"/api/incidents/{iid}/investigate").json()["status"] == "under_investigation"
    assert irq.post(f"/api/incidents/{iid}/comments", json={"text": "Patrol found tracks."}).status_code == 201
    closed = tur.post(f"/api/incidents/{iid}/close", json={"note": "Group went back; no further action."})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    kinds = [e["kind"] for e in closed.json()["timeline"]]
    assert kinds == ["reported", "acknowledged", "investigation_started", "comment", "closed"]
    events = [e["kind"] for e in irq.get("/api/events").json() if e["item_type"] == "incident"]
    assert events == ["incident.reported", "incident.acknowledged", "incident.investigation_started",
                      "incident.commented", "incident.closed"]


def test_a_closed_incident_cannot_be_edited_and_nothing_is_written(centre: Centre, client: TestClient) -> None:
    tur, irq = two_sides(centre, client)
    iid = tur.post("/api/incidents", json=report_body()).json()["id"]
    irq.post(f"/api/incidents/{iid}/acknowledge")
    irq.post(f"/api/incidents/{iid}/investigate")
    tur.post(f"/api/incidents/{iid}/close", json={"note": "done"})
    before = tur.get(f"/api/incidents/{iid}").json()
    refused = patch(tur, f"/api/incidents/{iid}", {"title": "Rewritten"})
    assert refused.status_code == 409 and refused.json()["error"]["details"]["field"] == "status"
    assert tur.post(f"/api/incidents/{iid}/comments", json={"text": "late"}).status_code == 409
    assert tur.get(f"/api/incidents/{iid}").json() == before


def test_bad_reports_are_refused_with_the_field_and_nothing_is_written(centre: Centre, client: TestClient) -> None:
    tur, _ = two_sides(centre, client)
    cases = [
        ({"category": "alien_landing"}, "category"),
        ({"occurred_from": "2030-01-01T00:00:00Z"}, "occurred_from"),
        ({"counts": {"killed": -1}}, "counts.killed"),
        ({"location": {"type": "Point", "coordinates": [200, 37]}}, "location"),
        ({"partners": ["SYR"]}, "partners"),  # not a partner nation of this centre (and not released to)
        ({"marking": {"level": "RESTRICTED", "releasable_to": []}}, "partners"),
    ]
    for changes, field in cases:
        response = tur.post("/api/incidents", json=report_body(**changes))
        assert response.status_code == 422, (changes, response.text)
        assert response.json()["error"]["details"]["field"] == field, response.json()
    assert tur.get("/api/incidents").json() == []
    assert [e for e in tur.get("/api/events").json() if e["item_type"] == "incident"] == []


def test_only_the_reporter_edits_and_edits_are_on_the_timeline(centre: Centre, client: TestClient) -> None:
    tur, irq = two_sides(centre, client)
    iid = tur.post("/api/incidents", json=report_body()).json()["id"]
    assert patch(irq, f"/api/incidents/{iid}", {"title": "IRQ version"}).status_code == 403
    edited = patch(tur, f"/api/incidents/{iid}", {"counts": {"injured": 3}})
    assert edited.status_code == 200 and edited.json()["counts"] == {"injured": 3}
    assert edited.json()["timeline"][-1]["kind"] == "edited"
    assert [i["id"] for i in tur.get("/api/incidents", params={"status": "reported", "open": True}).json()] == [iid]
    assert tur.get("/api/incidents", params={"since": "2030-01-01T00:00:00Z"}).json() == []
    assert tur.get("/api/incidents", params={"since": "2026-11-29T07:00:00Z"}).json()[0]["id"] == iid
    assert tur.get("/api/incidents", params={"since": "yesterday"}).status_code == 422


def test_assignee_per_nation(centre: Centre, client: TestClient) -> None:
    tur, irq = two_sides(centre, client)
    irq_officer, _ = person(centre, "IRQ", (Role.ANALYST,), username="irq.officer")
    tur_officer, _ = person(centre, "TUR", (Role.ANALYST,), username="tur.officer")
    iid = tur.post("/api/incidents", json=report_body()).json()["id"]
    assert irq.put(f"/api/incidents/{iid}/assignees/IRQ", json={"person_id": irq_officer}).status_code == 200
    assert irq.put(f"/api/incidents/{iid}/assignees/TUR", json={"person_id": tur_officer}).status_code == 403
    wrong = irq.put(f"/api/incidents/{iid}/assignees/IRQ", json={"person_id": tur_officer})
    assert wrong.status_code == 422 and wrong.json()["error"]["details"]["field"] == "person_id"
    tur.put(f"/api/incidents/{iid}/assignees/TUR", json={"person_id": tur_officer})
    assert tur.get(f"/api/incidents/{iid}").json()["assignees"] == {"IRQ": irq_officer, "TUR": tur_officer}


def test_an_incident_the_reader_may_not_see_is_not_found(centre: Centre, client: TestClient) -> None:
    tur, irq = two_sides(centre, client)
    secret_own = report_body(marking={"level": "SECRET", "releasable_to": ["IRQ"], "tlp": "RED"}, partners=[])
    response = tur.post("/api/incidents", json=secret_own)
    assert response.status_code == 422  # partners are required: an incident concerns a partner
    secret = report_body(marking={"level": "SECRET", "releasable_to": ["IRQ"]})
    iid = tur.post("/api/incidents", json=secret).json()["id"]
    person(centre, "IRQ", (Role.LIAISON_OFFICER,), username="irq.low", clearance=Level.RESTRICTED)
    low = sign_in(client, "irq.low")
    for response in (low.get(f"/api/incidents/{iid}"), low.post(f"/api/incidents/{iid}/acknowledge"),
                     low.get("/api/incidents/99999")):
        assert response.status_code == 404
    assert low.get("/api/incidents").json() == []
    assert irq.get(f"/api/incidents/{iid}").status_code == 200


def test_partners_other_than_concerned_cannot_acknowledge(centre: Centre, client: TestClient) -> None:
    centre.nations.add("SYR", "Syria (exercise)")
    tur, _ = two_sides(centre, client)
    person(centre, "SYR", (Role.LIAISON_OFFICER,), username="syr.liaison")
    syr = sign_in(client, "syr.liaison")
    iid = tur.post("/api/incidents", json=report_body(marking={"level": "RESTRICTED",
                                                               "releasable_to": ["IRQ", "SYR"]})).json()["id"]
    assert syr.post(f"/api/incidents/{iid}/acknowledge").status_code == 403  # sees it, is not concerned
    assert tur.post(f"/api/incidents/{iid}/acknowledge").status_code == 403  # the reporter


def test_every_concerned_partner_must_acknowledge(centre: Centre, client: TestClient) -> None:
    centre.nations.add("SYR", "Syria (exercise)")
    tur, irq = two_sides(centre, client)
    person(centre, "SYR", (Role.LIAISON_OFFICER,), username="syr.liaison2")
    syr = sign_in(client, "syr.liaison2")
    body = report_body(partners=["IRQ", "SYR"], marking={"level": "RESTRICTED", "releasable_to": ["IRQ", "SYR"]})
    iid = tur.post("/api/incidents", json=body).json()["id"]
    after_irq = irq.post(f"/api/incidents/{iid}/acknowledge").json()
    assert after_irq["status"] == "reported" and after_irq["awaiting_acknowledgement"] == ["SYR"]
    assert irq.post(f"/api/incidents/{iid}/investigate").status_code == 409
    after_syr = syr.post(f"/api/incidents/{iid}/acknowledge").json()
    assert after_syr["status"] == "acknowledged" and after_syr["acknowledged_by"] == ["IRQ", "SYR"]
    assert syr.post(f"/api/incidents/{iid}/investigate").json()["status"] == "under_investigation"


def test_observers_read_but_do_not_report(centre: Centre, client: TestClient) -> None:
    person(centre, "IRQ", (Role.OBSERVER,), username="irq.observer")
    observer = sign_in(client, "irq.observer")
    assert observer.post("/api/incidents", json=report_body(partners=["TUR"], marking={
        "level": "RESTRICTED", "releasable_to": ["TUR"]})).status_code == 403


def test_the_vocabulary_is_extended_by_a_commander(centre: Centre, client: TestClient) -> None:
    tur, _ = two_sides(centre, client)
    person(centre, "TUR", (Role.COMMANDER,), username="tur.commander")
    commander = sign_in(client, "tur.commander")
    body = {"code": "drone_overflight", "names": {"en": "Drone overflight", "tr": "İHA uçuşu"}}
    assert tur.post("/api/incident-categories", json=body).status_code == 403
    assert commander.post("/api/incident-categories", json=body).status_code == 201
    assert commander.post("/api/incident-categories", json=body).status_code == 422  # exists
    codes = [c["code"] for c in tur.get("/api/incident-categories").json()]
    assert "drone_overflight" in codes
    created = tur.post("/api/incidents", json=report_body(category="drone_overflight"))
    assert created.status_code == 201 and created.json()["category_label"] == "Drone overflight"
