"""The TAXII 2.1 server through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.domain.markings import Tlp
from concord.domain.people import Role
from concord.taxii import server
from tests.factories import PASSWORD, person, sign_in
from tests.intel_factories import ROOT, TAXII, basic, collection_url, indicator, shared_with


def post(http: TestClient, who: str, key: str, objects: list[dict[str, Any]]) -> Any:
    reply = http.post(
        collection_url(key) + "objects/",
        headers={**basic(who, PASSWORD), "Content-Type": TAXII},
        content=json.dumps({"objects": objects}),
    )
    assert reply.status_code == 202, reply.text
    return reply.json()


def objects(http: TestClient, who: str, key: str, query: str = "") -> list[dict[str, Any]]:
    reply = http.get(collection_url(key) + "objects/" + query, headers=basic(who, PASSWORD))
    assert reply.status_code == 200, reply.text
    return list(reply.json().get("objects", []))


@pytest.fixture
def people(centre: Centre) -> dict[str, str]:
    return {
        "tur": person(centre, "TUR")[1],
        "irq": person(centre, "IRQ")[1],
        "tur_observer": person(centre, "TUR", (Role.OBSERVER,))[1],
    }


def test_discovery_needs_authentication_and_the_taxii_media_type(client: TestClient, people: dict[str, str]) -> None:
    anonymous = client.get("/taxii2/", headers={"Accept": TAXII})
    assert anonymous.status_code == 401
    assert "Basic" in anonymous.headers["www-authenticate"]
    assert anonymous.headers["content-type"] == TAXII
    assert anonymous.json()["http_status"] == "401"
    wrong_password = client.get("/taxii2/", headers=basic(people["tur"], "not the password"))
    assert wrong_password.status_code == 401
    assert client.get("/taxii2/", headers={**basic(people["tur"], PASSWORD), "Accept": "text/html"}).status_code == 406
    found = client.get("/taxii2/", headers=basic(people["tur"], PASSWORD))
    assert found.status_code == 200 and found.json()["api_roots"][0].endswith(ROOT)
    root = client.get(ROOT, headers=basic(people["tur"], PASSWORD)).json()
    assert root["versions"] == [TAXII] and root["max_content_length"] == server.MAX_CONTENT_LENGTH


def test_collections_follow_nation_and_role(client: TestClient, people: dict[str, str]) -> None:
    listed = client.get(ROOT + "collections/", headers=basic(people["tur"], PASSWORD)).json()["collections"]
    rights = {c["title"]: (c["can_read"], c["can_write"]) for c in listed}
    assert rights == {"Joint feed": (True, True), "Iraq (IRQ) feed": (True, False), "Türkiye (TUR) feed": (True, True)}
    observer = client.get(ROOT + "collections/", headers=basic(people["tur_observer"], PASSWORD)).json()
    assert all(c["can_read"] and not c["can_write"] for c in observer["collections"])
    refused = client.post(
        collection_url("IRQ") + "objects/",
        headers={**basic(people["tur"], PASSWORD), "Content-Type": TAXII},
        content='{"objects":[]}',
    )
    assert refused.status_code == 403 and refused.json()["http_status"] == "403"
    assert (
        client.post(
            collection_url("joint") + "objects/",
            headers={**basic(people["tur"], PASSWORD), "Content-Type": "application/json"},
            content='{"objects":[]}',
        ).status_code
        == 415
    )


def test_invalid_objects_are_failures_and_valid_ones_are_stored(client: TestClient, people: dict[str, str]) -> None:
    good = indicator()
    status = post(
        client,
        people["tur"],
        "TUR",
        [
            good,
            {**indicator(), "id": "indicator--not-a-uuid"},
            {**indicator(), "created": "yesterday"},
            {k: v for k, v in indicator().items() if k != "pattern"},
            {
                "type": "x-unknown",
                "spec_version": "2.1",
                "id": "x-unknown--2b1d1d6e-4c33-4e0e-9c4f-0d6a3a9a3f1e",
                "created": "2026-11-01T10:00:00Z",
                "modified": "2026-11-01T10:00:00Z",
            },
        ],
    )
    assert (status["status"], status["success_count"], status["failure_count"]) == ("complete", 1, 4)
    reasons = " | ".join(f["message"] for f in status["failures"])
    for expected in ("'id'", "'created'", "pattern", "unknown object type"):
        assert expected in reasons
    stored = objects(client, people["tur"], "TUR")
    assert stored == [good]  # kept exactly as sent
    again = client.get(f"{ROOT}status/{status['id']}/", headers=basic(people["tur"], PASSWORD))
    assert again.status_code == 200 and again.json()["failure_count"] == 4
    # Status resources belong to the person whose request they describe.
    assert client.get(f"{ROOT}status/{status['id']}/", headers=basic(people["irq"], PASSWORD)).status_code == 404


def test_envelope_over_the_limit_is_413_in_taxii_form(
    client: TestClient, people: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "MAX_CONTENT_LENGTH", 2000)
    reply = client.post(
        collection_url("TUR") + "objects/",
        headers={**basic(people["tur"], PASSWORD), "Content-Type": TAXII},
        content=json.dumps({"objects": [indicator() for _ in range(10)]}),
    )
    assert reply.status_code == 413
    assert reply.headers["content-type"] == TAXII and reply.json()["http_status"] == "413"
    assert objects(client, people["tur"], "joint") == []


def test_each_reader_sees_only_what_is_releasable(client: TestClient, people: dict[str, str]) -> None:
    refs, defs = shared_with("IRQ")
    shared, own = indicator(refs=refs), indicator("203.0.113.9")
    red_refs, red_defs = shared_with("IRQ", tlp=Tlp.RED)
    red = indicator("203.0.113.10", refs=red_refs)
    post(client, people["tur"], "TUR", [shared, own, red, *defs, *red_defs])
    query = "?match[type]=indicator"
    tur_ids = {o["id"] for o in objects(client, people["tur"], "joint", query)}
    irq_ids = {o["id"] for o in objects(client, people["irq"], "joint", query)}
    assert tur_ids == {shared["id"], own["id"], red["id"]}
    assert irq_ids == {shared["id"]}
    assert {o["id"] for o in objects(client, people["irq"], "TUR", query)} == {shared["id"]}
    # Marking definitions are readable by every partner, so IRQ can resolve what it received.
    irq_definitions = {o["id"] for o in objects(client, people["irq"], "joint", "?match[type]=marking-definition")}
    assert irq_definitions == {d["id"] for d in defs + red_defs}
    assert objects(client, people["irq"], "IRQ") == []
    hidden = client.get(collection_url("joint") + f"objects/{own['id']}/", headers=basic(people["irq"], PASSWORD))
    assert hidden.status_code == 404
    unknown = client.get(
        collection_url("joint") + "objects/indicator--00000000-0000-4000-8000-000000000000/",
        headers=basic(people["irq"], PASSWORD),
    )
    assert unknown.status_code == 404 and unknown.json() == {
        **hidden.json(),
        "description": unknown.json()["description"],
    }


def test_versions_and_version_filters(client: TestClient, people: dict[str, str]) -> None:
    first = indicator(modified="2026-11-01T10:00:00.000Z")
    second = {**first, "modified": "2026-11-02T10:00:00.000Z", "name": "renamed"}
    third = {**first, "modified": "2026-11-03T10:00:00Z", "name": "renamed again"}
    post(client, people["tur"], "TUR", [first])
    post(client, people["tur"], "TUR", [third, second])
    url = collection_url("TUR") + f"objects/{first['id']}/"
    h = basic(people["tur"], PASSWORD)
    assert [o["name"] for o in client.get(url, headers=h).json()["objects"]] == ["renamed again"]
    everything = client.get(url + "?match[version]=all", headers=h).json()["objects"]
    assert sorted(o["modified"] for o in everything) == [first["modified"], second["modified"], third["modified"]]
    assert client.get(url + "?match[version]=first", headers=h).json()["objects"] == [first]
    picked = client.get(url + "?match[version]=2026-11-02T10:00:00Z", headers=h).json()["objects"]
    assert picked == [second]
    versions = client.get(url + "versions/", headers=h).json()["versions"]
    assert sorted(versions) == ["2026-11-01T10:00:00.000Z", "2026-11-02T10:00:00.000Z", "2026-11-03T10:00:00.000Z"]
    bad = client.get(url + "?match[version]=newest", headers=h)
    assert bad.status_code == 400 and "match[version]" in bad.json()["description"]
    # Re-sending a version already held is accepted and changes nothing.
    assert post(client, people["tur"], "TUR", [second])["success_count"] == 1
    assert len(client.get(url + "?match[version]=all", headers=h).json()["objects"]) == 3


def test_paging_filters_and_headers(client: TestClient, people: dict[str, str], centre: Centre) -> None:
    from datetime import timedelta

    batch = [indicator(f"198.51.100.{i}") for i in range(1, 8)]
    post(client, people["tur"], "TUR", batch[:4])
    centre.clock.advance(timedelta(seconds=1))  # type: ignore[attr-defined]
    post(client, people["tur"], "TUR", batch[4:])
    h = basic(people["tur"], PASSWORD)
    url = collection_url("joint") + "objects/"
    seen: list[str] = []
    reply = client.get(url + "?limit=3", headers=h)
    while True:
        body = reply.json()
        seen += [o["id"] for o in body.get("objects", [])]
        assert reply.headers["X-TAXII-Date-Added-First"] <= reply.headers["X-TAXII-Date-Added-Last"]
        if not body["more"]:
            break
        reply = client.get(url, params={"limit": "3", "next": body["next"]}, headers=h)
    assert seen == [o["id"] for o in batch]
    first_page = client.get(url + "?limit=4", headers=h)
    after = first_page.headers["X-TAXII-Date-Added-Last"]
    later = client.get(url, params={"added_after": after}, headers=h).json()["objects"]
    assert [o["id"] for o in later] == [o["id"] for o in batch[4:]]
    assert client.get(url, params={"next": "forged"}, headers=h).status_code == 400
    only = client.get(url, params={"match[id]": f"{batch[2]['id']},{batch[5]['id']}"}, headers=h).json()["objects"]
    assert {o["id"] for o in only} == {batch[2]["id"], batch[5]["id"]}
    assert client.get(url, params={"match[type]": "report"}, headers=h).json() == {"more": False}
    manifest = client.get(collection_url("joint") + "manifest/?limit=2", headers=h).json()
    assert manifest["more"] is True and len(manifest["objects"]) == 2
    assert set(manifest["objects"][0]) == {"id", "date_added", "version", "media_type"}


def test_delete_is_for_the_originator(client: TestClient, people: dict[str, str]) -> None:
    refs, defs = shared_with("IRQ")
    shared = indicator(refs=refs)
    post(client, people["tur"], "TUR", [shared, *defs])
    url = collection_url("joint") + f"objects/{shared['id']}/"
    assert client.delete(url, headers=basic(people["irq"], PASSWORD)).status_code == 403
    assert client.delete(url, headers=basic(people["tur"], PASSWORD)).status_code == 200
    assert client.get(url, headers=basic(people["tur"], PASSWORD)).status_code == 404


def test_revoked_objects_take_no_new_versions(client: TestClient, people: dict[str, str]) -> None:
    original = indicator()
    revoked = {**original, "modified": "2026-11-02T00:00:00.000Z", "revoked": True}
    later = {**original, "modified": "2026-11-03T00:00:00.000Z"}
    post(client, people["tur"], "TUR", [original, revoked])
    status = post(client, people["tur"], "TUR", [later])
    assert status["failure_count"] == 1 and "revoked" in status["failures"][0]["message"]


def test_bearer_tokens_work_too(client: TestClient, people: dict[str, str]) -> None:
    api = sign_in(client, people["irq"])
    reply = client.get(ROOT + "collections/", headers={"Authorization": f"Bearer {api.token}", "Accept": TAXII})
    assert reply.status_code == 200 and len(reply.json()["collections"]) == 3


def test_basic_auth_is_throttled_and_not_for_second_factor_accounts(client: TestClient, centre: Centre,
                                                                     people: dict[str, str]) -> None:
    for _ in range(centre.settings.login_free_failures_per_account):
        assert client.get("/taxii2/", headers=basic(people["irq"], "wrong password")).status_code == 401
    throttled = client.get("/taxii2/", headers=basic(people["irq"], PASSWORD))
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers
    from concord.storage import people as people_store

    with centre.db.write() as tx:
        person_id = centre.people.find(people["tur"]).id
        people_store.update_person(tx.conn, person_id, totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    assert client.get("/taxii2/", headers=basic(people["tur"], PASSWORD)).status_code == 401
