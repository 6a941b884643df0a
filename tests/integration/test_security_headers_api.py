"""Security headers on every HTML and JSON answer, the API docs from the package behind sign-in, no
source maps and no server banner in production settings (issue 22, cases 9 and 10)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from concord.app import create_app
from concord.centre import Centre
from concord.domain.people import Role
from tests.factories import person, sign_in


def assert_protected(response: object, *, html: bool) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    where = response.request.url  # type: ignore[attr-defined]
    assert headers["x-content-type-options"] == "nosniff", where
    assert headers["referrer-policy"] == "no-referrer", where
    assert headers["x-frame-options"] == "DENY", where
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy, where
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[-1].split(";", 1)[0], where
    if html:  # scripts from the centre's own files, or none at all
        assert ("script-src 'self'" in policy) or ("script-src" not in policy and "default-src 'none'" in policy), where


def test_html_and_json_answers_carry_the_headers(centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.LIAISON_OFFICER,), username="tur.watch")
    api = sign_in(client, "tur.watch")
    for path in ("/api/sitrep.html?date=2026-11-29", "/public/", "/"):
        response = api.get(path)
        assert response.status_code in (200, 503), path  # 503: the web UI is not built here
        assert response.headers["content-type"].startswith("text/html"), path
        assert_protected(response, html=True)
    for path in ("/api/me", "/api/sitrep?date=2026-11-29", "/api/openapi.json", "/api/no-such-thing", "/healthz"):
        assert_protected(api.get(path), html=False)
    assert_protected(client.get("/api/me"), html=False)  # a refusal too
    assert "strict-transport-security" not in api.get("/api/me").headers  # not over TLS here


def test_hsts_when_secure_cookies_are_on(centre: Centre) -> None:
    centre.settings.secure_cookies = True
    with TestClient(create_app(centre=centre)) as client:
        for path in ("/api/openapi.json", "/public/", "/api/me"):
            assert client.get(path).headers["strict-transport-security"].startswith("max-age="), path


def test_api_docs_come_from_the_package_and_need_sign_in(centre: Centre, client: TestClient) -> None:
    anonymous = client.get("/api/docs", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/signin"
    person(centre, "TUR", (Role.ANALYST,), username="tur.analyst")
    api = sign_in(client, "tur.analyst")
    page = api.get("/api/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text and "<script>" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for src in ("/api/docs/assets/swagger-ui-bundle.js", "/api/docs/assets/swagger-ui.css", "/api/docs/init.js"):
        assert src in page.text
        asset = client.get(src)
        assert asset.status_code == 200 and len(asset.content) > 100, src
    assert client.get("/api/docs/assets/swagger-ui-bundle.js.map").status_code == 404
    assert client.get("/api/docs/assets/index.html").status_code == 404


def test_api_docs_open_to_all_when_the_setting_says_so(centre: Centre) -> None:
    centre.settings.docs_public = True
    with TestClient(create_app(centre=centre)) as client:
        assert client.get("/api/docs").status_code == 200


@pytest.mark.parametrize("serve", [False, True])
def test_source_maps_only_when_asked_for(centre: Centre, serve: bool) -> None:
    from concord.api.web import DIST

    maps = sorted((DIST / "assets").glob("*.js.map")) if (DIST / "assets").is_dir() else []
    if not maps:
        pytest.fail("the web UI is not built with its maps: run scripts/setup", pytrace=False)
    centre.settings.serve_source_maps = serve
    with TestClient(create_app(centre=centre)) as client:
        answer = client.get(f"/assets/{Path(maps[0]).name}")
        assert answer.status_code == (200 if serve else 404)
