"""Bad input gets a clear 4xx naming the field, never a 500 and never a partial write."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.domain.people import Role
from tests.factories import person, sign_in


def admin(centre: Centre, client: TestClient):  # type: ignore[no-untyped-def]
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin9")
    return sign_in(client, "tur.admin9")


def test_malformed_json(centre: Centre, client: TestClient) -> None:
    api = admin(centre, client)
    response = api.post("/api/people", content=b'{"username": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"


def test_unknown_fields_wrong_types_long_strings_codes_and_dates(centre: Centre, client: TestClient) -> None:
    api = admin(centre, client)
    good = {"username": "tur.ok", "display_name": "Ok", "nation": "TUR", "clearance": "SECRET"}
    cases = {
        "extra": {**good, "extra": 1},
        "display_name": {**good, "display_name": "x" * 500},
        "nation": {**good, "nation": "TR"},
        "clearance": {**good, "clearance": 7},
        "username": {**good, "username": ["list"]},
    }
    for field, body in cases.items():
        response = api.post("/api/people", json=body)
        assert response.status_code == 422, (field, response.text)
        assert response.json()["error"]["details"]["field"] == field
    person_id = centre.people.find("tur.admin9").id
    bad_date = api.post("/api/appointments", json={"person_id": person_id, "role": "analyst",
                                                   "starts_at": "yesterday"})
    assert bad_date.status_code == 422 and bad_date.json()["error"]["details"]["field"] == "starts_at"
    naive = api.post("/api/appointments", json={"person_id": person_id, "role": "analyst",
                                                "starts_at": "2026-12-01T00:00:00"})
    assert naive.status_code == 422
    backwards = api.post("/api/appointments", json={"person_id": person_id, "role": "analyst",
                                                    "starts_at": "2026-12-02T00:00:00Z",
                                                    "ends_at": "2026-12-01T00:00:00Z"})
    assert backwards.status_code == 422 and backwards.json()["error"]["details"]["field"] == "ends_at"
    assert [p.username for p in centre.people.directory("TUR")] == ["tur.admin9"]  # nothing written


def test_unknown_nation_and_missing_person(centre: Centre, client: TestClient) -> None:
    api = admin(centre, client)
    response = api.post("/api/people", json={"username": "jor.x", "display_name": "X", "nation": "JOR",
                                             "clearance": "SECRET"})
    assert response.status_code in (403, 422)  # an administrator of TUR may not create JOR people
    assert api.post("/api/appointments", json={"person_id": 999999, "role": "analyst"}).status_code == 404


def test_body_over_the_limit_is_413(centre: Centre, client: TestClient) -> None:
    api = admin(centre, client)
    huge = b"{" + b" " * (centre.settings.max_body_bytes + 10) + b"}"
    response = api.post("/api/people", content=huge, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_unknown_routes_are_json_404(client: TestClient) -> None:
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_health_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    assert client.get("/api/openapi.json").json()["info"]["title"] == "Concord"
    assert "concord_http_requests_total" in client.get("/metrics").text


def test_a_chunked_body_over_the_limit_is_413_and_nothing_is_written(centre: Centre, client: TestClient) -> None:
    api = admin(centre, client)
    body = json.dumps({"username": "tur.chunked", "display_name": "Chunked (demo)", "nation": "TUR",
                         "clearance": "SECRET", "password": "a long enough password 1",
                         "note": " " * (centre.settings.max_body_bytes + 10)}).encode()

    def pieces() -> Iterator[bytes]:  # no Content-Length: the client sends it chunked
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = api.post("/api/people", content=pieces(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert api.get("/api/people").status_code == 200
    assert "tur.chunked" not in api.get("/api/people").text
