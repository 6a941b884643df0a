"""Intelligence through the REST API: publish, list, search, detail, revoke, release, correlation, export."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.domain.markings import Level
from concord.domain.people import Role
from tests.factories import ApiClient, person, sign_in
from tests.intel_factories import indexed, indicator

REL_IRQ = {"level": "RESTRICTED", "releasable_to": ["IRQ"], "tlp": "AMBER"}
TUR_ONLY = {"level": "RESTRICTED", "releasable_to": [], "tlp": "AMBER"}


def report(name: str, *refs: str) -> dict[str, Any]:
    return {"type": "report", "spec_version": "2.1", "id": f"report--{uuid.uuid4()}",
            "created": "2026-11-02T08:00:00.000Z", "modified": "2026-11-02T08:00:00.000Z", "name": name,
            "description": "A fictional report for tests.", "published": "2026-11-02T08:00:00Z",
            "object_refs": list(refs) or [f"indicator--{uuid.uuid4()}"]}


def relationship(source: str, target: str) -> dict[str, Any]:
    return {"type": "relationship", "spec_version": "2.1", "id": f"relationship--{uuid.uuid4()}",
            "created": "2026-11-02T08:00:00.000Z", "modified": "2026-11-02T08:00:00.000Z",
            "relationship_type": "related-to", "source_ref": source, "target_ref": target}


def publish(api: ApiClient, objects: list[dict[str, Any]], marking: dict[str, Any]) -> dict[str, Any]:
    reply = api.post("/api/intel/objects", json={"objects": objects, "marking": marking})
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


@pytest.fixture
def team(centre: Centre, client: TestClient) -> dict[str, ApiClient]:
    centre.nations.add("JOR", "Jordan")
    return {
        "tur": sign_in(client, person(centre, "TUR")[1]),
        "irq": sign_in(client, person(centre, "IRQ")[1]),
        "jor": sign_in(client, person(centre, "JOR")[1]),
        "irq_low": sign_in(client, person(centre, "IRQ", clearance=Level.UNCLASSIFIED)[1]),
        "tur_observer": sign_in(client, person(centre, "TUR", (Role.OBSERVER,))[1]),
    }


def ids(reply: Any) -> set[str]:
    return {item["stix_id"] for item in reply.json()["items"]}


def test_publish_report_and_read_it_with_relationships(team: dict[str, ApiClient]) -> None:
    ind = indicator(name="Fictional beacon host")
    rep = report("Fictional campaign overview", ind["id"])
    rel = relationship(ind["id"], rep["id"])
    published = publish(team["tur"], [rep, ind, rel], REL_IRQ)
    assert len(published["items"]) == 3
    assert all(item["marking"]["releasable_to"] == ["IRQ", "TUR"] for item in published["items"])
    assert ids(team["irq"].get("/api/intel/objects")) == {rep["id"], ind["id"], rel["id"]}
    assert ids(team["jor"].get("/api/intel/objects")) == set()
    assert ids(team["irq_low"].get("/api/intel/objects")) == set()  # RESTRICTED > UNCLASSIFIED clearance
    ind_row = next(i for i in published["items"] if i["stix_id"] == ind["id"])
    detail = team["irq"].get(f"/api/intel/objects/{ind_row['id']}").json()
    assert detail["stix"]["pattern"] == ind["pattern"]
    assert [r["stix_id"] for r in detail["relationships"]] == [rel["id"]]
    assert len(detail["versions"]) == 1
    # The page names who published it, as the centre's directory does.
    me = team["tur"].get("/api/me").json()
    assert detail["author"]["display_name"] == me["display_name"]
    assert detail["author"]["person_id"] == me["id"]
    assert team["jor"].get(f"/api/intel/objects/{ind_row['id']}").status_code == 404
    only_reports = team["irq"].get("/api/intel/objects", params={"type": "report"})
    assert ids(only_reports) == {rep["id"]}
    assert ids(team["irq"].get("/api/intel/objects", params={"originator": "IRQ"})) == set()


def test_observers_read_but_do_not_publish(team: dict[str, ApiClient]) -> None:
    refused = team["tur_observer"].post("/api/intel/objects", json={"objects": [indicator()], "marking": TUR_ONLY})
    assert refused.status_code == 403


def test_invalid_objects_are_refused_whole_naming_the_problem(team: dict[str, ApiClient]) -> None:
    bad = {**indicator(), "pattern": "[ipv4-addr:value = "}
    reply = team["tur"].post("/api/intel/objects", json={"objects": [indicator(), bad], "marking": TUR_ONLY})
    assert reply.status_code == 422 and "pattern" in reply.json()["error"]["message"]
    assert team["tur"].get("/api/intel/objects").json()["items"] == []  # nothing partly written


def test_full_text_search_is_filtered_by_policy(team: dict[str, ApiClient], centre: Centre) -> None:
    publish(team["tur"], [report("Kestrel smuggling route, shared")], REL_IRQ)
    publish(team["tur"], [report("Kestrel internal assessment")], TUR_ONLY)
    publish(team["irq"], [report("Unrelated logistics note")], {**REL_IRQ, "releasable_to": ["TUR"]})
    indexed(centre)
    tur_hits = {i["title"] for i in team["tur"].get("/api/intel/objects", params={"q": "kestrel"}).json()["items"]}
    irq_hits = {i["title"] for i in team["irq"].get("/api/intel/objects", params={"q": "kestr"}).json()["items"]}
    assert tur_hits == {"Kestrel smuggling route, shared", "Kestrel internal assessment"}
    assert irq_hits == {"Kestrel smuggling route, shared"}
    assert team["irq"].get("/api/intel/objects", params={"q": "internal"}).json()["items"] == []
    # Search syntax is never passed through: operators are words like any other, and no words is an error.
    assert team["irq"].get("/api/intel/objects", params={"q": 'kestrel" OR "internal'}).status_code == 200
    assert team["irq"].get("/api/intel/objects", params={"q": '" * ()'}).status_code == 422


def test_revoke_and_release_are_for_the_originator(team: dict[str, ApiClient]) -> None:
    ind = indicator()
    row = publish(team["tur"], [ind], REL_IRQ)["items"][0]
    assert team["irq"].post(f"/api/intel/objects/{row['id']}/revoke").status_code == 403
    assert team["jor"].post(f"/api/intel/objects/{row['id']}/revoke").status_code == 404
    assert team["irq"].put(f"/api/intel/objects/{row['id']}/release", json=TUR_ONLY).status_code == 403
    # Narrowing hides the object at once from those who lose access.
    assert team["tur"].put(f"/api/intel/objects/{row['id']}/release", json=TUR_ONLY).status_code == 204
    assert team["irq"].get(f"/api/intel/objects/{row['id']}").status_code == 404
    assert team["tur"].put(f"/api/intel/objects/{row['id']}/release", json=REL_IRQ).status_code == 204
    assert team["irq"].get(f"/api/intel/objects/{row['id']}").status_code == 200
    assert team["tur"].post(f"/api/intel/objects/{row['id']}/revoke").status_code == 204
    detail = team["tur"].get(f"/api/intel/objects/{row['id']}").json()
    assert detail["object"]["revoked"] is True and detail["stix"]["revoked"] is True
    assert len(detail["versions"]) == 4  # published, narrowed, widened again, revoked
    assert ids(team["tur"].get("/api/intel/objects")) == set()  # revoked objects are hidden by default
    assert ids(team["tur"].get("/api/intel/objects", params={"include_revoked": "true"})) == {ind["id"]}


def _events(api: ApiClient, kind: str) -> list[dict[str, Any]]:
    return [e for e in api.get("/api/events", params={"limit": 1000}).json() if e["kind"] == kind]


def test_correlation_reaches_exactly_those_who_see_both(team: dict[str, ApiClient], centre: Centre) -> None:
    value = "192.0.2.44"
    publish(team["tur"], [indicator(value, name="TUR sighting of the relay")], REL_IRQ)
    publish(team["jor"], [indicator(value, name="JOR private note")], {**TUR_ONLY})  # JOR only
    publish(team["irq"], [indicator(value, name="IRQ report of the relay")], {**REL_IRQ, "releasable_to": ["TUR"]})
    indexed(centre)
    # Recorded against both holders; listed only where the reader may see both sides (JOR's is hidden).
    for who in ("tur", "irq"):
        events = _events(team[who], "intel.correlated")
        assert len(events) == 1, who
        titles = {o["title"] for o in events[0]["payload"]["objects"]}
        assert titles == {"TUR sighting of the relay", "IRQ report of the relay"}
        listed = team[who].get("/api/intel/correlations").json()
        assert [c["value"] for c in listed] == [value]
    # JOR may see neither TUR's nor IRQ's object: it learns nothing, not even that its value matched.
    assert _events(team["jor"], "intel.correlated") == []
    assert team["jor"].get("/api/intel/correlations").json() == []
    assert "JOR private note" not in json.dumps(team["tur"].get("/api/events", params={"limit": 1000}).json())


def test_over_correlated_values_stop_correlating(team: dict[str, ApiClient], centre: Centre) -> None:
    centre.intel_index.cap = 2
    value = "192.0.2.99"
    publish(team["tur"], [indicator(value)], REL_IRQ)
    publish(team["tur"], [indicator(value)], REL_IRQ)
    publish(team["irq"], [indicator(value)], {**REL_IRQ, "releasable_to": ["TUR"]})
    indexed(centre)
    assert team["irq"].get("/api/intel/correlations").json() == []


def test_export_is_a_bundle_of_what_the_caller_may_see(team: dict[str, ApiClient]) -> None:
    shared, own = indicator(), indicator("203.0.113.77")
    publish(team["tur"], [shared], REL_IRQ)
    publish(team["tur"], [own], TUR_ONLY)
    bundle = json.loads(team["irq"].get("/api/intel/export").text)
    assert bundle["type"] == "bundle"
    exported = {o["id"] for o in bundle["objects"] if o["type"] == "indicator"}
    assert exported == {shared["id"]}
    definitions = {o["id"] for o in bundle["objects"] if o["type"] == "marking-definition"}
    refs = next(o for o in bundle["objects"] if o["id"] == shared["id"])["object_marking_refs"]
    assert set(refs) <= definitions  # every marking it carries is resolvable from the bundle


def test_revoked_objects_no_longer_correlate(team: dict[str, ApiClient], centre: Centre) -> None:
    value = "192.0.2.150"
    row = publish(team["tur"], [indicator(value)], REL_IRQ)["items"][0]
    indexed(centre)
    assert team["tur"].post(f"/api/intel/objects/{row['id']}/revoke").status_code == 204
    publish(team["irq"], [indicator(value)], {**REL_IRQ, "releasable_to": ["TUR"]})
    indexed(centre)
    assert team["irq"].get("/api/intel/correlations").json() == []


def test_a_release_change_is_stated_in_the_stix_text_as_a_new_version(team: dict[str, ApiClient]) -> None:
    """Tools that read the STIX (a partner's MISP, OpenCTI) must see the marking Concord enforces."""
    from concord.domain.intel_markings import to_stix
    from concord.domain.markings import Marking

    statement = {"type": "marking-definition", "spec_version": "2.1",
                 "id": "marking-definition--6e2c1f30-27a3-4b1b-9c43-1f5f0c1f6c11", "created": "2026-11-01T00:00:00Z",
                 "name": "exercise statement", "extensions": {}, "definition_type": "statement",
                 "definition": {"statement": "EXERCISE - fictional data"}}
    publish(team["tur"], [statement], {**TUR_ONLY, "releasable_to": ["IRQ", "JOR"]})
    ind = indicator(refs=[statement["id"]])
    row = publish(team["tur"], [ind], REL_IRQ)["items"][0]
    assert team["tur"].put(f"/api/intel/objects/{row['id']}/release", json=TUR_ONLY).status_code == 204
    detail = team["tur"].get(f"/api/intel/objects/{row['id']}").json()
    narrowed = detail["stix"]
    expected, _ = to_stix(Marking.build(TUR_ONLY["level"], "TUR", TUR_ONLY["releasable_to"], TUR_ONLY["tlp"]))
    assert set(narrowed["object_marking_refs"]) == set(expected) | {statement["id"]}  # the statement is kept
    assert narrowed["modified"] > ind["modified"] and len(detail["versions"]) == 2
    assert team["irq"].get(f"/api/intel/objects/{row['id']}").status_code == 404
    # widened again: IRQ sees the object, and its text now names IRQ as a releasable nation
    assert team["tur"].put(f"/api/intel/objects/{row['id']}/release", json=REL_IRQ).status_code == 204
    seen = team["irq"].get(f"/api/intel/objects/{row['id']}").json()
    widened, _ = to_stix(Marking.build(REL_IRQ["level"], "TUR", REL_IRQ["releasable_to"], REL_IRQ["tlp"]))
    assert set(seen["stix"]["object_marking_refs"]) == set(widened) | {statement["id"]}
    assert set(seen["object"]["marking"]["releasable_to"]) == {"IRQ", "TUR"}


def location(name: str, lat: float, lon: float) -> dict[str, Any]:
    return {"type": "location", "spec_version": "2.1", "id": f"location--{uuid.uuid4()}",
            "created": "2026-11-02T08:00:00.000Z", "modified": "2026-11-02T08:00:00.000Z", "name": name,
            "latitude": lat, "longitude": lon}


def test_the_detail_shows_the_places_an_object_refers_to_that_the_reader_may_see(team: dict[str, ApiClient]) -> None:
    ford = location("Fictional north ford", 36.61, 43.12)
    hidden = location("Fictional TUR observation post", 36.70, 43.30)
    publish(team["tur"], [hidden], TUR_ONLY)
    actor = {"type": "threat-actor", "spec_version": "2.1", "id": f"threat-actor--{uuid.uuid4()}",
             "created": "2026-11-02T08:00:00.000Z", "modified": "2026-11-02T08:00:00.000Z",
             "name": "Fictional smuggling ring"}
    located = {**relationship(actor["id"], ford["id"]), "relationship_type": "located-at"}
    rep = report("Fictional crossing report", ford["id"], hidden["id"])
    published = publish(team["tur"], [rep, ford, actor, located], REL_IRQ)
    row = {i["stix_id"]: i["id"] for i in published["items"]}
    for stix_id in (rep["id"], actor["id"]):
        irq = team["irq"].get(f"/api/intel/objects/{row[stix_id]}").json()
        assert [(p["object"]["title"], p["latitude"], p["longitude"]) for p in irq["locations"]] == [
            ("Fictional north ford", 36.61, 43.12)]
    # The originator sees its own hidden post too; IRQ's page never names it.
    tur = team["tur"].get(f"/api/intel/objects/{row[rep['id']]}").json()
    assert sorted(p["object"]["title"] for p in tur["locations"]) == ["Fictional TUR observation post",
                                                                      "Fictional north ford"]
    assert "observation post" not in team["irq"].get(f"/api/intel/objects/{row[rep['id']]}").text


def test_a_refused_object_is_named_by_its_place_and_property(team: dict[str, ApiClient]) -> None:
    bad = {**indicator("198.51.100.9"), "pattern": "[ipv4-addr:value = "}
    reply = team["tur"].post("/api/intel/objects", json={"objects": [report("R", bad["id"]), bad],
                                                         "marking": REL_IRQ})
    assert reply.status_code == 422
    assert reply.json()["error"]["details"]["field"] == "objects[1].pattern"
