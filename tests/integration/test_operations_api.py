"""Operations through the HTTP API on SQLite and PostgreSQL: lifecycle, approvals, versions, bad input."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.clock import FixedClock
from concord.domain.people import Role
from tests.factories import person, sign_in
from tests.integration.ops_helpers import box, created, national_body, operation_body, proposed, staff, window


def test_full_lifecycle_with_approval_by_every_nation(centre: Centre, client: TestClient, clock: FixedClock) -> None:
    s = staff(centre, client)
    op = created(s.tur_planner, operation_body(clock.now()))
    assert (op["status"], op["version"], op["plan"]["lead_nation"]) == ("draft", 1, "TUR")
    # A draft cannot be approved; only the lead nation proposes.
    assert s.irq_general.post(f"/api/operations/{op['id']}/approve", json={"version": 1}).status_code == 409
    assert s.irq_planner.post(f"/api/operations/{op['id']}/propose").status_code == 403
    op = s.tur_planner.post(f"/api/operations/{op['id']}/propose").json()
    assert op["status"] == "proposed" and op["pending_nations"] == ["IRQ", "TUR"]
    # A liaison officer is not a commander.
    refused = s.irq_planner.post(f"/api/operations/{op['id']}/approve", json={"version": 1})
    assert refused.status_code == 403 and "commander" in refused.json()["error"]["message"]
    op = s.tur_general.post(f"/api/operations/{op['id']}/approve", json={"version": 1}).json()
    assert op["status"] == "proposed" and op["pending_nations"] == ["IRQ"]
    op = s.irq_general.post(f"/api/operations/{op['id']}/approve", json={"version": 1}).json()
    assert op["status"] == "approved" and op["pending_nations"] == []
    assert s.tur_planner.post(f"/api/operations/{op['id']}/complete").status_code == 409
    assert s.tur_planner.post(f"/api/operations/{op['id']}/activate").json()["status"] == "active"
    assert s.tur_planner.post(f"/api/operations/{op['id']}/complete").json()["status"] == "completed"
    kinds = [e["kind"] for e in s.irq_watch.get("/api/events").json() if e["item_type"] == "operation"]
    assert kinds == ["operation.created", "operation.proposed", "operation.approved_by_nation",
                     "operation.approved_by_nation", "operation.approved", "operation.active", "operation.completed"]


def test_a_change_after_proposal_is_a_new_version_and_voids_approvals(centre: Centre, client: TestClient,
                                                                      clock: FixedClock) -> None:
    s = staff(centre, client)
    op = proposed(s.tur_planner, operation_body(clock.now()))
    s.irq_general.post(f"/api/operations/{op['id']}/approve", json={"version": 1})
    # Sending the same plan again changes nothing: the approval stands.
    same = s.tur_planner.put(f"/api/operations/{op['id']}", json=operation_body(clock.now()))
    assert same.json()["version"] == 1 and same.json()["pending_nations"] == ["TUR"]
    # Any change is a new version (approvals bind content): version 2, the Iraqi approval is void and
    # everyone involved is told.
    wider = s.tur_planner.put(f"/api/operations/{op['id']}",
                              json=operation_body(clock.now(), area=box(43.0, 36.0, 0.2, 0.1)))
    assert wider.status_code == 200, wider.text
    assert (wider.json()["version"], wider.json()["status"]) == (2, "proposed")
    assert wider.json()["pending_nations"] == ["IRQ", "TUR"]
    voided = [e for e in s.irq_watch.get("/api/events").json() if e["kind"] == "operation.approvals_voided"]
    assert len(voided) == 1 and voided[0]["payload"]["voided_nations"] == ["IRQ"]
    # Approving the old version is refused and writes nothing.
    stale = s.irq_general.post(f"/api/operations/{op['id']}/approve", json={"version": 1})
    assert stale.status_code == 409 and stale.json()["error"]["details"]["field"] == "version"
    for general in (s.irq_general, s.tur_general):
        last = general.post(f"/api/operations/{op['id']}/approve", json={"version": 2})
    assert last.json()["status"] == "approved"
    # A change to an approved plan sends it back for approval.
    again = s.tur_planner.put(f"/api/operations/{op['id']}",
                              json=operation_body(clock.now(), window=window(clock.now(), 50, 24)))
    assert (again.json()["version"], again.json()["status"]) == (3, "proposed")
    assert [v["version"] for v in s.irq_watch.get(f"/api/operations/{op['id']}/versions").json()] == [1, 2, 3]


def test_rejection_needs_a_reason_and_a_nation_may_reconsider(centre: Centre, client: TestClient,
                                                             clock: FixedClock) -> None:
    s = staff(centre, client)
    op = proposed(s.tur_planner, operation_body(clock.now()))
    url = f"/api/operations/{op['id']}"
    no_reason = s.irq_general.post(f"{url}/reject", json={"version": 1, "reason": " "})
    assert no_reason.status_code == 422 and no_reason.json()["error"]["details"]["field"] == "reason"
    rejected = s.irq_general.post(f"{url}/reject", json={"version": 1, "reason": "Market day in the valley"})
    assert rejected.json()["approvals"][0]["reason"] == "Market day in the valley"
    s.tur_general.post(f"{url}/approve", json={"version": 1})
    assert s.irq_general.get(url).json()["status"] == "proposed"
    assert s.irq_general.post(f"{url}/approve", json={"version": 1}).json()["status"] == "approved"
    cancelled = s.tur_planner.post(f"{url}/cancel", json={"reason": "Weather"})
    assert cancelled.json()["status"] == "cancelled"
    assert s.tur_planner.post(f"{url}/activate").status_code == 409


def test_a_commander_appointment_must_be_current(centre: Centre, client: TestClient, clock: FixedClock) -> None:
    s = staff(centre, client)
    op = proposed(s.tur_planner, operation_body(clock.now()))
    general_id = centre.people.find("irq.general").id
    appointment = centre.people.get(general_id).appointments[0]
    centre.people.end_appointment(None, appointment.id)
    refused = s.irq_general.post(f"/api/operations/{op['id']}/approve", json={"version": 1})
    assert refused.status_code in (403, 404)   # no post at the centre any more: reads nothing, decides nothing
    assert s.tur_general.get(f"/api/operations/{op['id']}").json()["approvals"] == []


def test_a_third_nation_must_approve_too(centre: Centre, client: TestClient, clock: FixedClock) -> None:
    centre.nations.add("JOR", "Jordan")
    s = staff(centre, client)
    person(centre, "JOR", (Role.COMMANDER,), username="jor.general")
    jor = sign_in(client, "jor.general")
    op = proposed(s.tur_planner, operation_body(clock.now(), participants=["IRQ", "JOR"]))
    for general in (s.tur_general, s.irq_general):
        general.post(f"/api/operations/{op['id']}/approve", json={"version": 1})
    assert s.tur_general.get(f"/api/operations/{op['id']}").json()["pending_nations"] == ["JOR"]
    assert jor.post(f"/api/operations/{op['id']}/approve", json={"version": 1}).json()["status"] == "approved"


def test_bad_input_names_the_field_and_writes_nothing(centre: Centre, client: TestClient, clock: FixedClock) -> None:
    s = staff(centre, client)
    now = clock.now()
    cases = [
        (operation_body(now, area={"type": "Polygon", "coordinates": [[[43, 36], [43.1, 36.1], [43.1, 36], [43, 36.1],
                                                                        [43, 36]]]}), "area.coordinates[0]"),
        (operation_body(now, area={"type": "Polygon", "coordinates": [[[43, 36], [43.1, 36], [43.1, 36.1]]]}),
         "area.coordinates[0]"),
        (operation_body(now, area={"type": "Polygon", "coordinates": [[[43, 36], [190, 36], [43.1, 36.1], [43, 36]]]}),
         "area.coordinates[0][1][0]"),
        (operation_body(now, area={"type": "Point", "coordinates": [43, 36]}), "area.type"),
        (operation_body(now, window={"starts_at": "2026-12-02T00:00:00Z", "ends_at": "2026-12-01T00:00:00Z"}),
         "window.ends_at"),
        (operation_body(now, participants=["IRQ", "XYZ"]), "participants[1]"),
        (operation_body(now, forces=[{"nation": "TUR", "name": "Unit", "sidc": "bogus"}]), "forces[0].sidc"),
        (operation_body(now, phases=[{"name": "p", "window": window(now, 1, 0),
                                      "area": box(44.0, 36.0)}]), "phases[0].window"),
        (operation_body(now, marking={"level": "SECRET", "releasable_to": []}), "marking.releasable_to"),
    ]
    for body, field in cases:
        response = s.tur_planner.post("/api/operations", json=body)
        assert response.status_code == 422, (field, response.text)
        assert response.json()["error"]["details"]["field"] == field
    assert s.tur_planner.get("/api/operations").json() == []
    assert [e for e in s.tur_planner.get("/api/events").json() if e["item_type"] == "operation"] == []


def test_an_operation_others_may_not_see_is_not_found(centre: Centre, client: TestClient, clock: FixedClock) -> None:
    s = staff(centre, client)
    national = created(s.tur_planner, national_body(clock.now()))
    for url in ("", "/versions", "/conflicts", "/sync-matrix", "/sync-matrix.csv"):
        assert s.irq_general.get(f"/api/operations/{national['id']}{url}").status_code == 404
    assert s.irq_general.get("/api/operations/999999").status_code == 404
    assert s.irq_general.get("/api/operations").json() == []


def test_sync_matrix_json_and_csv(centre: Centre, client: TestClient, clock: FixedClock) -> None:
    s = staff(centre, client)
    op = created(s.tur_planner, operation_body(clock.now()))
    matrix = s.irq_planner.get(f"/api/operations/{op['id']}/sync-matrix").json()
    assert matrix["nations"] == ["IRQ", "TUR"] and [r["phase"] for r in matrix["rows"]] == ["move", "patrol"]
    assert matrix["rows"][0]["cells"]["IRQ"]["tasks"][0]["title"] == "Open the liaison net"
    response = s.irq_planner.get(f"/api/operations/{op['id']}/sync-matrix.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == ["phase", "starts_at", "ends_at", "nation"] and len(rows) == 5


def test_the_owner_nation_reports_on_its_task(centre: Centre, client: TestClient, clock: FixedClock) -> None:
    s = staff(centre, client)
    op = proposed(s.tur_planner, operation_body(clock.now()))
    s.irq_general.post(f"/api/operations/{op['id']}/approve", json={"version": 1})
    url = f"/api/operations/{op['id']}/tasks/0/status"
    assert s.irq_planner.post(url, json={"status": "done"}).json()["plan"]["tasks"][0]["status"] == "done"
    after = s.irq_general.get(f"/api/operations/{op['id']}").json()
    assert after["version"] == 1 and after["approvals"][0]["nation"] == "IRQ"   # not a new version
    assert s.irq_planner.post(url, json={"status": "finished"}).status_code == 422
    assert s.irq_planner.post(f"/api/operations/{op['id']}/tasks/5/status", json={"status": "done"}).status_code == 404
