"""Sign-in through the HTTP API: throttling, expiry, revocation, CSRF, TOTP."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.clock import FixedClock
from concord.domain.people import Role
from tests.factories import PASSWORD, person, sign_in


def test_sign_in_returns_token_cookie_and_person(centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.ANALYST,), username="tur.anna")
    response = client.post("/api/session", json={"username": "tur.anna", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["person"]["nation"] == "TUR" and body["person"]["roles"] == ["analyst"]
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert client.get("/api/me").json()["username"] == "tur.anna"


def test_wrong_password_and_unknown_user_look_the_same(centre: Centre, client: TestClient) -> None:
    person(centre, username="tur.bora")
    a = client.post("/api/session", json={"username": "tur.bora", "password": "wrong password!"})
    b = client.post("/api/session", json={"username": "nobody.here", "password": "wrong password!"})
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()


def test_throttling_is_a_progressive_delay_per_account(centre: Centre, client: TestClient,
                                                        clock: FixedClock) -> None:
    person(centre, username="tur.cem")
    for _ in range(5):
        failed = client.post("/api/session", json={"username": "tur.cem", "password": "not the password"})
        assert failed.status_code == 401
    blocked = client.post("/api/session", json={"username": "tur.cem", "password": PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) == 2  # the first delay; the next failure doubles it
    clock.advance(timedelta(seconds=2))
    assert client.post("/api/session", json={"username": "tur.cem", "password": "still wrong!"}).status_code == 401
    assert client.post("/api/session", json={"username": "tur.cem", "password": PASSWORD}).headers[
        "retry-after"] == "4"
    clock.advance(timedelta(seconds=4))
    assert client.post("/api/session", json={"username": "tur.cem", "password": PASSWORD}).status_code == 200


def test_throttling_per_client_address(centre: Centre, client: TestClient) -> None:
    person(centre, username="tur.dila")
    for i in range(20):
        client.post("/api/session", json={"username": f"guess{i}", "password": "not the password"})
    # Even the right password of another account is refused from this address for now.
    assert client.post("/api/session", json={"username": "tur.dila", "password": PASSWORD}).status_code == 429


def test_session_expires(centre: Centre, client: TestClient, clock: FixedClock) -> None:
    person(centre, username="tur.emre")
    api = sign_in(client, "tur.emre")
    assert api.get("/api/me").status_code == 200
    clock.advance(timedelta(minutes=centre.settings.session_ttl_minutes + 1))
    assert api.get("/api/me").status_code == 401


def test_sign_out_and_sign_out_everywhere(centre: Centre, client: TestClient) -> None:
    person(centre, username="tur.fatma")
    one, two, three = (sign_in(client, "tur.fatma") for _ in range(3))
    assert one.delete("/api/session").status_code == 204
    assert one.get("/api/me").status_code == 401
    assert two.get("/api/me").status_code == 200
    assert two.delete("/api/sessions").json() == {"revoked": 2}
    assert two.get("/api/me").status_code == 401
    assert three.get("/api/me").status_code == 401


def test_sign_out_of_the_other_sessions_keeps_this_one(centre: Centre, client: TestClient) -> None:
    person(centre, username="tur.fatma")
    person(centre, username="tur.other")
    one, two, three = (sign_in(client, "tur.fatma") for _ in range(3))
    someone_else = sign_in(client, "tur.other")
    assert two.delete("/api/sessions/others").json() == {"revoked": 2}
    assert two.get("/api/me").status_code == 200
    assert one.get("/api/me").status_code == 401 and three.get("/api/me").status_code == 401
    assert someone_else.get("/api/me").status_code == 200
    assert two.delete("/api/sessions/others").json() == {"revoked": 0}


def test_disabling_an_account_ends_its_sessions(centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.gul")
    target_id, _ = person(centre, username="tur.hakan")
    admin = sign_in(client, "tur.gul")
    target = sign_in(client, "tur.hakan")
    assert admin.post(f"/api/people/{target_id}/disable").status_code == 204
    assert target.get("/api/me").status_code == 401
    assert client.post("/api/session", json={"username": "tur.hakan", "password": PASSWORD}).status_code == 401


def test_csrf_is_required_for_cookie_authenticated_changes(centre: Centre, client: TestClient) -> None:
    person(centre, username="tur.ilke")
    client.post("/api/session", json={"username": "tur.ilke", "password": PASSWORD})
    assert client.get("/api/me").status_code == 200  # safe method: no token needed
    refused = client.put("/api/me/language", json={"language": "tr"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    wrong = client.put("/api/me/language", json={"language": "tr"}, headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403
    ok = client.put("/api/me/language", json={"language": "tr"},
                    headers={"X-CSRF-Token": client.cookies["concord_csrf"]})
    assert ok.status_code == 204
    assert client.get("/api/me").json()["language"] == "tr"


def test_totp_second_factor(centre: Centre, client: TestClient, clock: FixedClock) -> None:
    person(centre, username="tur.kaan")
    api = sign_in(client, "tur.kaan")
    secret = api.post("/api/me/totp").json()["secret"]
    code = pyotp.TOTP(secret).at(clock.now())
    wrong = "000000" if code != "000000" else "111111"
    confirm = {"password": PASSWORD, "secret": secret}
    assert api.post("/api/me/totp/confirm", json={**confirm, "code": wrong}).status_code == 422
    assert api.post("/api/me/totp/confirm", json={**confirm, "code": code}).status_code == 204
    asked = client.post("/api/session", json={"username": "tur.kaan", "password": PASSWORD})
    assert asked.status_code == 401 and asked.json()["error"]["details"]["totp_required"] is True
    clock.advance(timedelta(seconds=30))  # the enrolment used this time step's code
    ok = client.post("/api/session", json={"username": "tur.kaan", "password": PASSWORD,
                                           "totp": pyotp.TOTP(secret).at(clock.now())})
    assert ok.status_code == 200


def test_unauthenticated_requests_get_401(client: TestClient) -> None:
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert client.get("/api/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401
