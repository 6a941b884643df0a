"""Joint public releases through the HTTP API, and the public page and feeds, on both backends."""

from __future__ import annotations

from typing import Any

import defusedxml.ElementTree as ET
from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.domain.people import Role
from tests.factories import ApiClient, person, sign_in

ATOM = "{http://www.w3.org/2005/Atom}"


def release_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "concerned": ["IRQ"],
        "texts": {
            "en": {"title": "Joint statement on the border post 14 incident",
                   "body": "Both sides are investigating the incident of 28 November together."},
            "tr": {"title": "14 numaralı sınır karakolu olayına ilişkin ortak açıklama",
                   "body": "Taraflar 28 Kasım olayını birlikte soruşturmaktadır."},
            "ar": {"title": "بيان مشترك بشأن حادث المخفر الحدودي 14",
                   "body": "يحقق الطرفان معا في حادث 28 تشرين الثاني."},
        },
        "references": [{"type": "incident", "id": 1}],
    }
    body.update(changes)
    return body


def commanders(centre: Centre, client: TestClient) -> tuple[ApiClient, ApiClient, ApiClient]:
    person(centre, "TUR", (Role.LIAISON_OFFICER,), username="tur.liaison")
    person(centre, "TUR", (Role.COMMANDER,), username="tur.commander")
    person(centre, "IRQ", (Role.COMMANDER,), username="irq.commander")
    return sign_in(client, "tur.liaison"), sign_in(client, "tur.commander"), sign_in(client, "irq.commander")


def public_texts(client: TestClient) -> list[str]:
    return [r["texts"]["en"]["title"] for r in client.get("/public/releases.json").json()["releases"]]


def test_published_only_when_every_concerned_commander_approved_the_exact_text(
        centre: Centre, client: TestClient) -> None:
    liaison, tur, irq = commanders(centre, client)
    created = liaison.post("/api/releases", json=release_body())
    assert created.status_code == 201, created.text
    release = created.json()
    rid, digest = release["id"], release["content_hash"]
    assert release["status"] == "awaiting_approval" and release["awaiting"] == ["IRQ", "TUR"]
    assert liaison.post(f"/api/releases/{rid}/approve", json={"content_hash": digest}).status_code == 403
    assert tur.post(f"/api/releases/{rid}/approve", json={"content_hash": digest}).json()["awaiting"] == ["IRQ"]
    assert public_texts(client) == []
    published = irq.post(f"/api/releases/{rid}/approve", json={"content_hash": digest})
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert public_texts(client) == ["Joint statement on the border post 14 incident"]
    kinds = [e["kind"] for e in tur.get("/api/events").json() if e["item_type"] == "release"]
    assert kinds == ["release.proposed", "release.approved", "release.approved", "release.published"]
    edit = client.put(f"/api/releases/{rid}", headers=tur.headers, json={"references": []})
    assert edit.status_code == 409  # a published release is final


def test_any_edit_voids_approvals_and_a_stale_approval_is_refused(centre: Centre, client: TestClient) -> None:
    liaison, tur, irq = commanders(centre, client)
    release = liaison.post("/api/releases", json=release_body()).json()
    rid, old_hash = release["id"], release["content_hash"]
    assert tur.post(f"/api/releases/{rid}/approve", json={"content_hash": old_hash}).status_code == 200
    texts = release_body()["texts"]
    texts["en"]["body"] += " Further details will follow."
    edited = client.put(f"/api/releases/{rid}", headers=liaison.headers, json={"texts": texts})
    assert edited.status_code == 200
    assert edited.json()["approvals"] == [] and edited.json()["awaiting"] == ["IRQ", "TUR"]
    stale = irq.post(f"/api/releases/{rid}/approve", json={"content_hash": old_hash})
    assert stale.status_code == 409
    assert stale.json()["error"]["details"]["current_hash"] == edited.json()["content_hash"]
    assert client.get(f"/api/releases/{rid}", headers=irq.headers).json()["status"] == "awaiting_approval"
    assert public_texts(client) == []


def test_a_nation_not_concerned_cannot_approve(centre: Centre, client: TestClient) -> None:
    centre.nations.add("SYR", "Syria (exercise)")
    liaison, _, _ = commanders(centre, client)
    person(centre, "SYR", (Role.COMMANDER,), username="syr.commander")
    syr = sign_in(client, "syr.commander")
    release = liaison.post("/api/releases", json=release_body()).json()
    # SYR cannot even see the proposal (it is internal to TUR and IRQ): not found, nothing written.
    refused = syr.post(f"/api/releases/{release['id']}/approve", json={"content_hash": release["content_hash"]})
    assert refused.status_code == 404
    after = liaison.get(f"/api/releases/{release['id']}").json()
    assert after["approvals"] == [] and after["version"] == release["version"]


def test_bad_proposals_are_refused_and_nothing_is_written(centre: Centre, client: TestClient) -> None:
    liaison, _, _ = commanders(centre, client)
    for bad, field in [(release_body(texts={}), "texts"), (release_body(concerned=["TUR"]), "concerned"),
                       (release_body(concerned=["SYR"]), "concerned")]:
        response = liaison.post("/api/releases", json=bad)
        assert response.status_code == 422 and response.json()["error"]["details"]["field"] == field
    assert liaison.get("/api/releases").json() == []


def test_the_public_page_shows_released_items_and_nothing_else(centre: Centre, client: TestClient) -> None:
    liaison, tur, irq = commanders(centre, client)
    published = liaison.post("/api/releases", json=release_body()).json()
    for commander in (tur, irq):
        commander.post(f"/api/releases/{published['id']}/approve",
                       json={"content_hash": published["content_hash"]})
    pending_body = release_body()
    pending_body["texts"]["en"]["title"] = "PENDING-STATEMENT-DO-NOT-SHOW"
    pending = liaison.post("/api/releases", json=pending_body).json()
    tur.post(f"/api/releases/{pending['id']}/approve", json={"content_hash": pending["content_hash"]})
    client.cookies.clear()
    for query in ("", "?status=awaiting_approval", "?all=1&id=2", "?include=pending&lang=en", "?limit=1000"):
        page = client.get(f"/public/{query}")
        assert page.status_code == 200 and "Joint statement on the border post 14 incident" in page.text
        assert "PENDING-STATEMENT-DO-NOT-SHOW" not in page.text
        feed = client.get(f"/public/releases.json{query}").json()
        assert [r["id"] for r in feed["releases"]] == [published["id"]]
        assert set(feed["releases"][0]) == {"id", "published_at", "texts"}
        atom = client.get(f"/public/releases.atom{query}")
        assert atom.headers["content-type"].startswith("application/atom+xml")
        assert "PENDING-STATEMENT-DO-NOT-SHOW" not in atom.text
    root = ET.fromstring(client.get("/public/releases.atom").content)
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 3  # one per language
    langs = {e.get("{http://www.w3.org/XML/1998/namespace}lang") for e in entries}
    assert langs == {"en", "tr", "ar"}
    assert all(e.find(f"{ATOM}id") is not None and e.find(f"{ATOM}updated") is not None for e in entries)
    # The public surface is read-only and needs no sign-in.
    assert client.post("/public/releases.json").status_code in (404, 405)
    assert client.get("/public").status_code == 200


def test_a_proposal_written_in_one_language_is_approved_once_translated(centre: Centre, client: TestClient) -> None:
    liaison, tur, irq = commanders(centre, client)
    texts = release_body()["texts"]
    created = liaison.post("/api/releases", json=release_body(texts={"en": texts["en"]}))
    assert created.status_code == 201, created.text
    release = created.json()
    assert release["to_translate"] == ["tr", "ar"] and list(release["texts"]) == ["en"]
    early = tur.post(f"/api/releases/{release['id']}/approve", json={"content_hash": release["content_hash"]})
    assert early.status_code == 409 and early.json()["error"]["details"]["field"] == "texts.tr"
    assert early.json()["error"]["details"]["to_translate"] == ["tr", "ar"]
    translated = irq.put(f"/api/releases/{release['id']}", json={"texts": texts})  # a concerned nation translates
    assert translated.status_code == 200, translated.text
    assert translated.json()["to_translate"] == []
    digest = translated.json()["content_hash"]
    for commander in (tur, irq):
        approved = commander.post(f"/api/releases/{release['id']}/approve", json={"content_hash": digest})
        assert approved.status_code == 200, approved.text
    assert public_texts(client) == ["Joint statement on the border post 14 incident"]
    arabic_only = liaison.post("/api/releases", json=release_body(texts={"ar": texts["ar"]}))
    assert arabic_only.status_code == 201, arabic_only.text
    assert arabic_only.json()["to_translate"] == ["en", "tr"]
