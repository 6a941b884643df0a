"""The inputs a schema fuzz found 500s with: each answers a 4xx naming the field, the same on SQLite
and PostgreSQL, and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.domain.people import Role
from tests.factories import PASSWORD, ApiClient, person, sign_in
from tests.intel_factories import TAXII, basic, collection_url, indicator

TOO_BIG = 2**63  # one past the largest signed 64-bit integer
BIGGEST = 2**63 - 1


@pytest.fixture
def api(centre: Centre, client: TestClient) -> ApiClient:
    roles = (Role.ADMINISTRATOR, Role.ANALYST, Role.LIAISON_OFFICER, Role.COMMANDER, Role.WATCH_OFFICER)
    person(centre, "TUR", roles, username="tur.limits")
    return sign_in(client, "tur.limits")


def field_of(response: Any) -> str:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"]["code"] == "invalid"
    return str(body["error"]["details"]["field"])


@pytest.mark.parametrize(("path", "field"), [
    (f"/api/intel/objects/{TOO_BIG}", "object_id"),
    (f"/api/incidents/{TOO_BIG}", "incident_id"),
    (f"/api/rfis/{TOO_BIG}", "rfi_id"),
    (f"/api/messages/{TOO_BIG}", "message_id"),
    (f"/api/channels/{TOO_BIG}/messages", "channel_id"),
    (f"/api/releases/{TOO_BIG}", "release_id"),
    (f"/api/operations/{TOO_BIG}", "operation_id"),
    (f"/api/audit/checkpoints/{TOO_BIG}", "size"),
    (f"/api/events?after={TOO_BIG}", "after"),
    (f"/api/intel/objects?before={TOO_BIG}", "before"),
    (f"/api/messages/search?q=x&channel_id={TOO_BIG}", "channel_id"),
    ("/api/incidents/-1", "incident_id"),
])
def test_ids_beyond_64_bits_or_negative_are_422_naming_the_field(api: ApiClient, path: str, field: str) -> None:
    assert field_of(api.get(path)) == field


@pytest.mark.parametrize("path", [
    f"/api/intel/objects/{BIGGEST}", f"/api/incidents/{BIGGEST}", f"/api/rfis/{BIGGEST}",
    f"/api/messages/{BIGGEST}", f"/api/channels/{BIGGEST}/messages", f"/api/releases/{BIGGEST}",
    f"/api/operations/{BIGGEST}",
])
def test_the_largest_id_is_simply_not_found_on_both_stores(api: ApiClient, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404, response.text


def test_ids_in_bodies_are_bounded(api: ApiClient) -> None:
    assert field_of(api.post("/api/appointments", json={"person_id": TOO_BIG, "role": "analyst"})) == "person_id"
    assert api.post("/api/appointments", json={"person_id": BIGGEST, "role": "analyst"}).status_code == 404
    cosign = api.post("/api/audit/witnesses/TUR/cosignatures", json={"size": TOO_BIG, "note": "x"})
    assert field_of(cosign) == "size"


@pytest.mark.parametrize(("path", "field"), [
    ("/api/incidents?since=9999-12-31T23:59:59-01:00", "since"),
    ("/api/incidents?since=0001-01-01T00:00:00%2B01:00", "since"),
    ("/api/intel/objects?modified_after=9999-12-31T23:59:59-01:00", "modified_after"),
    ("/api/incidents?since=0.5", "since"),
    ("/api/incidents?since=0", "since"),
    ("/api/sitrep?date=0", "date"),
    ("/api/sitrep?date=9999-12-31", "date"),
])
def test_dates_at_the_edge_of_the_range_and_numbers_are_422(api: ApiClient, path: str, field: str) -> None:
    assert field_of(api.get(path)) == field


def test_dates_in_bodies(api: ApiClient, centre: Centre) -> None:
    target, _name = person(centre, "TUR", (), username="tur.target")  # (appointing oneself is refused)
    for starts_at in ("9999-12-31T22:00:00-05:00", "0001-01-01T00:30:00+01:00", 0, 1.5, "1700000000"):
        response = api.post("/api/appointments", json={"person_id": target, "role": "observer",
                                                        "starts_at": starts_at})
        assert field_of(response) == "starts_at", starts_at
    assert api.post("/api/appointments", json={"person_id": target, "role": "observer",
                                               "starts_at": "2026-12-01T00:00:00+03:00"}).status_code == 201


def test_nul_in_text_is_refused_identically(api: ApiClient, centre: Centre) -> None:
    bad = indicator(name="a\u0000b")
    response = api.post("/api/intel/objects", json={"objects": [bad],
                                                    "marking": {"level": "RESTRICTED", "releasable_to": ["TUR"]}})
    assert field_of(response) == "objects.0.name"
    assert field_of(api.get("/api/messages/search", params={"q": "a\u0000b"})) == "q"
    created = api.post("/api/people", json={"username": "tur.nul", "display_name": "a\u0000b", "nation": "TUR",
                                            "clearance": "SECRET"})
    assert field_of(created) == "display_name"
    assert api.get(f"/api/intel/objects/{1}").status_code == 404  # nothing was stored
    assert "tur.nul" not in api.get("/api/people").text


def test_deep_json_bodies_are_refused(api: ApiClient) -> None:
    deep = "[" * 5000 + "]" * 5000
    response = api.post("/api/people", content=f'{{"username": {deep}}}'.encode(),
                        headers={"Content-Type": "application/json"})
    assert field_of(response) == "body"
    nested: Any = "x"
    for _ in range(100):
        nested = {"a": nested}
    response = api.post("/api/intel/objects", json={"objects": [indicator(x_deep=nested)],
                                                    "marking": {"level": "RESTRICTED"}})
    assert field_of(response).startswith("objects.0.x_deep")


def test_taxii_deep_envelope_and_nul_are_taxii_errors(client: TestClient, centre: Centre) -> None:
    who = person(centre, "TUR")[1]
    headers = {**basic(who, PASSWORD), "Content-Type": TAXII}
    url = collection_url("TUR") + "objects/"
    deep = '{"objects": [{"type": "indicator", "x": ' + "[" * 5000 + "]" * 5000 + "}]}"
    reply = client.post(url, headers=headers, content=deep.encode())
    assert reply.status_code == 400 and reply.headers["content-type"] == TAXII, reply.text
    assert reply.json()["details"]["field"] == "body"
    reply = client.post(url, headers=headers, content=json.dumps({"objects": [indicator(name="a\u0000b")]}))
    assert reply.status_code == 400, reply.text
    assert reply.json()["details"]["field"] == "objects.0.name"
    listed = client.get(url, headers=basic(who, PASSWORD))
    assert listed.status_code == 200 and listed.json().get("objects", []) == []


def _integers_without_bounds(schema: Any, components: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    if isinstance(schema, list):
        return [p for i, item in enumerate(schema) for p in _integers_without_bounds(item, components, where, seen)]
    if not isinstance(schema, dict):
        return []
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        return _integers_without_bounds(components[name], components, f"{where}->{name}", seen)
    found = []
    # FastAPI writes body bounds as floats: 2**63-1 reads back as 2.0**63.
    if schema.get("type") == "integer" and ("maximum" not in schema or schema["maximum"] > float(BIGGEST)):
        found.append(where)
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            for name, sub in value.items():
                found += _integers_without_bounds(sub, components, f"{where}.{name}", seen)
        elif key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties"):
            found += _integers_without_bounds(value, components, where, seen)
    return found


def test_every_integer_a_route_reads_is_bounded(client: TestClient) -> None:
    """A route added with a bare `int` fails here, before a fuzzer finds the overflow."""
    document = client.get("/api/openapi.json").json()
    components = document.get("components", {}).get("schemas", {})
    unbounded = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                unbounded += _integers_without_bounds(parameter.get("schema"), components,
                                                      f"{method} {path} {parameter['name']}", set())
            for content in operation.get("requestBody", {}).get("content", {}).values():
                unbounded += _integers_without_bounds(content.get("schema"), components,
                                                      f"{method} {path} body", set())
    assert unbounded == []
