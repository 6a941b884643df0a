"""The two-person rule (issue 22, case 8): nobody makes himself a commander, and no single person
appoints a commander or an administrator or takes over a commander's account."""

from __future__ import annotations

from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.domain.people import Role
from tests.factories import PASSWORD, person, sign_in


def test_an_administrator_cannot_appoint_himself(centre: Centre, client: TestClient) -> None:
    admin_id, _ = person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin")
    admin = sign_in(client, "tur.admin")
    for role in ("commander", "analyst", "administrator"):
        refused = admin.post("/api/appointments", json={"person_id": admin_id, "role": role})
        assert refused.status_code == 403, role
        assert refused.json()["error"]["details"]["field"] == "person_id"
    assert admin.get("/api/me").json()["roles"] == ["administrator"]
    assert admin.get("/api/privileged-requests").json() == []


def test_a_commander_appointment_needs_a_second_person_of_the_same_nation(centre: Centre,
                                                                          client: TestClient) -> None:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin")
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin2")
    person(centre, "IRQ", (Role.ADMINISTRATOR,), username="irq.admin")
    general_id, _ = person(centre, "TUR", (Role.ANALYST,), username="tur.general")
    admin, second, partner = (sign_in(client, n) for n in ("tur.admin", "tur.admin2", "irq.admin"))
    asked = admin.post("/api/appointments", json={"person_id": general_id, "role": "commander"})
    assert asked.status_code == 202
    request = asked.json()
    assert request["state"] == "pending" and request["role"] == "commander"
    assert "commander" not in sign_in(client, "tur.general").get("/api/me").json()["roles"]
    # Not the one who asked; not another nation; not the person it is about.
    assert admin.post(f"/api/privileged-requests/{request['id']}/confirm").status_code == 403
    assert partner.post(f"/api/privileged-requests/{request['id']}/confirm").status_code == 404
    assert partner.get("/api/privileged-requests").json() == []
    general = sign_in(client, "tur.general")
    assert general.post(f"/api/privileged-requests/{request['id']}/confirm").status_code == 403
    assert [r["id"] for r in second.get("/api/privileged-requests").json()] == [request["id"]]
    confirmed = second.post(f"/api/privileged-requests/{request['id']}/confirm")
    assert confirmed.status_code == 200
    assert confirmed.json()["request"]["state"] == "confirmed" and confirmed.json()["request"]["appointment_id"]
    assert "commander" in sign_in(client, "tur.general").get("/api/me").json()["roles"]
    assert second.post(f"/api/privileged-requests/{request['id']}/confirm").status_code == 409
    # Each step is in the nation's event log (and so in the audit log).
    kinds = [e["kind"] for e in second.get("/api/events").json()]
    assert "privileged_request.created" in kinds and "privileged_request.confirmed" in kinds
    assert "appointment.created" in kinds


def test_the_sitting_commander_confirms_an_administrator_and_requests_can_be_refused(
        centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin")
    person(centre, "TUR", (Role.COMMANDER,), username="tur.commander")
    candidate_id, _ = person(centre, "TUR", (Role.WATCH_OFFICER,), username="tur.watch")
    admin, commander = sign_in(client, "tur.admin"), sign_in(client, "tur.commander")
    first = admin.post("/api/appointments", json={"person_id": candidate_id, "role": "administrator"}).json()
    refused = commander.post(f"/api/privileged-requests/{first['id']}/refuse")
    assert refused.status_code == 200 and refused.json()["state"] == "refused"
    assert commander.post(f"/api/privileged-requests/{first['id']}/confirm").status_code == 409
    second = admin.post("/api/appointments", json={"person_id": candidate_id, "role": "administrator"}).json()
    assert commander.post(f"/api/privileged-requests/{second['id']}/confirm").status_code == 200
    assert "administrator" in sign_in(client, "tur.watch").get("/api/me").json()["roles"]


def test_a_commanders_password_reset_needs_a_second_person_who_alone_sees_the_password(
        centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin")
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin2")
    commander_id, _ = person(centre, "TUR", (Role.COMMANDER,), username="tur.commander")
    sitting = sign_in(client, "tur.commander")
    admin, second = sign_in(client, "tur.admin"), sign_in(client, "tur.admin2")
    asked = admin.post(f"/api/people/{commander_id}/reset-password")
    assert asked.status_code == 202 and "password" not in asked.json()
    assert sitting.get("/api/me").status_code == 200  # nothing changed yet
    assert client.post("/api/session", json={"username": "tur.commander", "password": PASSWORD}).status_code == 200
    client.cookies.clear()
    confirmed = second.post(f"/api/privileged-requests/{asked.json()['id']}/confirm")
    assert confirmed.status_code == 200
    password = confirmed.json()["password"]
    assert password and sitting.get("/api/me").status_code == 401
    assert client.post("/api/session", json={"username": "tur.commander", "password": password}).status_code == 200


def test_init_and_the_system_still_appoint_in_one_step(centre: Centre) -> None:
    general_id, _ = person(centre, "IRQ", ())
    centre.people.appoint(None, person_id=general_id, role=Role.COMMANDER)
    assert centre.people.get(general_id).current_roles == [Role.COMMANDER]
