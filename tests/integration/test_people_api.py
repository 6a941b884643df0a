"""People and appointments through the HTTP API."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.clock import FixedClock, iso
from concord.domain.people import Role
from tests.factories import person, sign_in


def test_administrator_creates_and_appoints_in_own_nation(centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin1")
    admin = sign_in(client, "tur.admin1")
    created = admin.post("/api/people", json={"username": "tur.new", "display_name": "New Officer",
                                              "nation": "TUR", "clearance": "CONFIDENTIAL"})
    assert created.status_code == 201, created.text
    assert len(created.json()["password"]) >= 12
    new_id = created.json()["person"]["id"]
    appointed = admin.post("/api/appointments", json={"person_id": new_id, "role": "liaison_officer"})
    assert appointed.status_code == 201 and appointed.json()["current"] is True
    assert [p["username"] for p in admin.get("/api/admin/people").json()] == ["tur.admin1", "tur.new"]


def test_administrator_cannot_manage_another_nation(centre: Centre, client: TestClient) -> None:
    person(centre, "IRQ", (Role.ADMINISTRATOR,), username="irq.admin1")
    tur_id, _ = person(centre, "TUR", username="tur.victim")
    admin = sign_in(client, "irq.admin1")
    refused = admin.post("/api/people", json={"username": "tur.fake", "display_name": "Fake", "nation": "TUR",
                                              "clearance": "SECRET"})
    assert refused.status_code == 403
    assert admin.post(f"/api/people/{tur_id}/disable").status_code == 403
    assert admin.post(f"/api/people/{tur_id}/reset-password").status_code == 403
    assert admin.post("/api/appointments", json={"person_id": tur_id, "role": "commander"}).status_code == 403
    # Nothing was written.
    assert "tur.fake" not in [p.username for p in centre.people.directory()]
    assert centre.people.get(tur_id).current_roles == [Role.ANALYST]


def test_non_administrators_cannot_manage_people(centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.COMMANDER,), username="tur.boss")
    boss = sign_in(client, "tur.boss")
    assert boss.post("/api/people", json={"username": "tur.x", "display_name": "X", "nation": "TUR",
                                          "clearance": "SECRET"}).status_code == 403


def test_future_appointment_gives_no_role_until_it_starts(centre: Centre, client: TestClient,
                                                          clock: FixedClock) -> None:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin2")
    general_id, _ = person(centre, "TUR", (), username="tur.general")
    admin = sign_in(client, "tur.admin2")
    start = clock.now() + timedelta(days=30)
    asked = admin.post("/api/appointments", json={"person_id": general_id, "role": "commander",
                                                  "starts_at": iso(start)})
    assert asked.status_code == 202  # the two-person rule: a second person of the nation confirms
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin2b")
    second = sign_in(client, "tur.admin2b")
    assert second.post(f"/api/privileged-requests/{asked.json()['id']}/confirm").status_code == 200
    general = sign_in(client, "tur.general")
    assert general.get("/api/me").json()["roles"] == []
    assert general.get("/api/events").json() == []  # no post at the centre yet: reads nothing
    clock.set(start)
    assert sign_in(client, "tur.general").get("/api/me").json()["roles"] == ["commander"]


def test_ended_appointment_stops_working_at_once(centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin3")
    officer_id, _ = person(centre, "TUR", (Role.WATCH_OFFICER,), username="tur.watch1")
    officer = sign_in(client, "tur.watch1")
    assert officer.get("/api/me").json()["roles"] == ["watch_officer"]
    appointment_id = centre.people.get(officer_id).appointments[0].id
    admin = sign_in(client, "tur.admin3")
    assert admin.delete(f"/api/appointments/{appointment_id}").status_code == 204
    assert officer.get("/api/me").json()["roles"] == []  # same session, no role any more
    assert admin.delete(f"/api/appointments/{appointment_id}").status_code == 409


def test_events_pass_through_the_policy(centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin4")
    target_id, _ = person(centre, "TUR", username="tur.reset")
    person(centre, "IRQ", (Role.ANALYST,), username="irq.reader")
    person(centre, "TUR", (Role.ANALYST,), username="tur.viewer")
    sign_in(client, "tur.admin4").post(f"/api/people/{target_id}/reset-password")
    irq_kinds = {e["kind"] for e in sign_in(client, "irq.reader").get("/api/events?limit=1000").json()}
    tur_kinds = {e["kind"] for e in sign_in(client, "tur.viewer").get("/api/events?limit=1000").json()}
    assert "person.password_reset" in tur_kinds
    assert "person.password_reset" not in irq_kinds  # national account administration stays national
    assert "person.created" in irq_kinds  # the directory is centre-wide
