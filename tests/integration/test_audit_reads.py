"""Reads of marked items at or above the audit level become audit entries (docs/audit.md), on SQLite and
PostgreSQL: incidents, intelligence (REST, TAXII, export) and operations. Lower-level reads do not."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.domain.audit import READ_ACTION, AuditEntry, content_hash
from concord.domain.markings import Level, Marking, Reader, Tlp
from concord.domain.people import Role
from tests.factories import PASSWORD, ApiClient, person, sign_in
from tests.integration.ops_helpers import created, operation_body
from tests.integration.test_incidents_api import report_body
from tests.integration.test_intel_api import publish, report
from tests.intel_factories import basic, collection_url

SECRET_TUR_IRQ = {"level": "SECRET", "releasable_to": ["IRQ"], "tlp": "AMBER"}
RESTRICTED_TUR_IRQ = {"level": "RESTRICTED", "releasable_to": ["IRQ"], "tlp": "AMBER"}


def reads(centre: Centre, who: ApiClient, nation: str, item_type: str) -> list[AuditEntry]:
    """The read entries of `item_type` done by `who`, as that person's nation sees the log."""
    entries = centre.audit.entries(Reader(who.person_id, nation, Level.SECRET), 0, 1000)
    return [e for e, _ in entries if e is not None and e.action == READ_ACTION
            and e.item_type == item_type and e.actor_person == who.person_id]


def ids(entries: list[AuditEntry]) -> list[str]:
    return [e.item_id for e in entries]


def test_incident_reads_at_the_level_are_audited_with_what_was_returned(centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.WATCH_OFFICER,), username="tur.watch")
    person(centre, "IRQ", (Role.LIAISON_OFFICER,), username="irq.liaison")
    tur, irq = sign_in(client, "tur.watch"), sign_in(client, "irq.liaison")
    secret = tur.post("/api/incidents", json=report_body(marking=SECRET_TUR_IRQ)).json()["id"]
    restricted = tur.post("/api/incidents", json=report_body(marking=RESTRICTED_TUR_IRQ)).json()["id"]
    assert reads(centre, irq, "IRQ", "incident") == []  # reporting is a change, not a read

    one = irq.get(f"/api/incidents/{secret}", headers={"X-Request-Id": "req-incident-1"})
    assert one.status_code == 200
    (entry,) = reads(centre, irq, "IRQ", "incident")
    assert (entry.item_id, entry.actor_nation, entry.request_id) == (str(secret), "IRQ", "req-incident-1")
    marking = Marking.build(Level.SECRET, "TUR", ["IRQ"], Tlp.AMBER)
    assert entry.content_hash == content_hash(one.json(), marking)  # the hash of what the person received

    assert irq.get(f"/api/incidents/{restricted}").status_code == 200
    assert ids(reads(centre, irq, "IRQ", "incident")) == [str(secret)]
    listed = irq.get("/api/incidents")
    assert {i["id"] for i in listed.json()} == {secret, restricted}
    assert ids(reads(centre, irq, "IRQ", "incident")) == [str(secret), str(secret)]


def test_intel_reads_through_rest_taxii_and_export_are_audited(centre: Centre, client: TestClient) -> None:
    tur = sign_in(client, person(centre, "TUR", username="tur.author")[1])
    reader_name = person(centre, "TUR", username="tur.reader")[1]
    reader = sign_in(client, reader_name)
    high = publish(tur, [report("Fictional secret report")], {**SECRET_TUR_IRQ, "releasable_to": []})["items"][0]
    low = publish(tur, [report("Fictional restricted report")], {**RESTRICTED_TUR_IRQ, "releasable_to": []})["items"][0]
    high_id = str(high["id"])

    assert reader.get(f"/api/intel/objects/{high['id']}").status_code == 200
    assert reader.get(f"/api/intel/objects/{low['id']}").status_code == 200
    assert ids(reads(centre, reader, "TUR", "intel")) == [high_id]

    listed = reader.get("/api/intel/objects")
    assert {i["id"] for i in listed.json()["items"]} >= {high["id"], low["id"]}
    assert ids(reads(centre, reader, "TUR", "intel")) == [high_id] * 2

    taxii = client.get(collection_url("TUR") + "objects/?match[type]=report", headers=basic(reader_name, PASSWORD))
    assert {o["id"] for o in taxii.json()["objects"]} == {high["stix_id"], low["stix_id"]}
    one = client.get(collection_url("TUR") + f"objects/{low['stix_id']}/", headers=basic(reader_name, PASSWORD))
    assert one.status_code == 200
    assert ids(reads(centre, reader, "TUR", "intel")) == [high_id] * 3

    exported = reader.get("/api/intel/export")
    assert exported.status_code == 200 and high["stix_id"] in exported.text
    assert ids(reads(centre, reader, "TUR", "intel")) == [high_id] * 4


def test_operation_reads_at_the_level_are_audited(centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.LIAISON_OFFICER,), username="tur.planner")
    person(centre, "IRQ", (Role.LIAISON_OFFICER,), username="irq.planner")
    tur, irq = sign_in(client, "tur.planner"), sign_in(client, "irq.planner")
    start = centre.clock.now()
    body: dict[str, Any] = operation_body(start, marking=SECRET_TUR_IRQ)
    secret = created(tur, body)["id"]
    restricted = created(tur, operation_body(start, name="Operation GREY FORD", marking=RESTRICTED_TUR_IRQ))["id"]

    assert irq.get(f"/api/operations/{restricted}").status_code == 200
    assert reads(centre, irq, "IRQ", "operation") == []
    assert irq.get(f"/api/operations/{secret}").status_code == 200
    assert {o["id"] for o in irq.get("/api/operations").json()} == {secret, restricted}
    audited = reads(centre, irq, "IRQ", "operation")
    assert ids(audited) == [str(secret), str(secret)]
    assert {e.actor_person for e in audited} == {irq.person_id}
