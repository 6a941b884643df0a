"""The web interface is served at / with an index.html fallback that never shadows the server's own
namespaces, whatever the order in which routers are registered."""

from __future__ import annotations

import gzip
from pathlib import Path

import brotli
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from concord.api.web import RESERVED_PREFIXES, mount_web

INDEX = "<!doctype html><title>Concord</title><div id=app></div>"
MAP = '{"type": "Topology", "arcs": [' + ",".join(["[[1, 2], [3, 4]]"] * 500) + "]}"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc123.js").write_text("console.log('concord')")
    (root / "assets" / "map-def456.json").write_text(MAP)
    (root / "assets" / "map-def456.json.gz").write_bytes(gzip.compress(MAP.encode()))
    (root / "assets" / "map-def456.json.br").write_bytes(brotli.compress(MAP.encode()))
    (tmp_path / "secret.txt").write_text("outside the dist folder")
    return root


@pytest.fixture
def client(dist: Path) -> TestClient:
    app = FastAPI()
    mount_web(app, dist)

    # Registered after the fallback on purpose: the fallback must step aside for these namespaces.
    @app.get("/api/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return TestClient(app)


@pytest.mark.parametrize("path", ["/", "/map", "/operations/12", "/chat/3", "/signin"])
def test_client_routes_get_the_page(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["cache-control"] == "no-cache"
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_hashed_assets_are_cached_for_good(client: TestClient) -> None:
    response = client.get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert "concord" in response.text
    assert "immutable" in response.headers["cache-control"]


def test_a_missing_asset_is_not_answered_with_the_page(client: TestClient) -> None:
    assert client.get("/assets/gone-000.js").status_code == 404
    assert client.get("/favicon.ico").status_code == 404


def test_routes_registered_later_are_not_shadowed(client: TestClient) -> None:
    assert client.get("/api/ping").json() == {"pong": "yes"}
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize("prefix", RESERVED_PREFIXES)
def test_reserved_namespaces_never_fall_back_to_the_page(dist: Path, prefix: str) -> None:
    app = FastAPI()
    mount_web(app, dist)
    client = TestClient(app)
    for path in (prefix, f"{prefix}/", f"{prefix}/no-such-thing"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert INDEX not in response.text


def test_files_outside_the_build_are_not_served(client: TestClient) -> None:
    response = client.get("/%2e%2e/secret.txt")
    assert "outside the dist folder" not in response.text


def test_an_unbuilt_interface_says_how_to_build_it(tmp_path: Path) -> None:
    app = FastAPI()
    mount_web(app, tmp_path / "missing")
    response = TestClient(app).get("/map")
    assert response.status_code == 503
    assert "npm run build" in response.text


@pytest.mark.parametrize(("accept", "coding"), [
    ("gzip, deflate, br, zstd", "br"),  # what Chromium sends
    ("gzip", "gzip"),
    ("br;q=0, gzip;q=0.5", "gzip"),
    ("identity", None),
    ("", None),
])
def test_precompressed_assets_are_sent_to_browsers_that_accept_them(client: TestClient, accept: str,
                                                                    coding: str | None) -> None:
    response = client.get("/assets/map-def456.json", headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert response.headers.get("content-encoding") == coding
    assert response.headers["content-type"] == "application/json"
    assert response.headers["vary"] == "Accept-Encoding"
    assert "immutable" in response.headers["cache-control"]
    assert response.text == MAP  # decoded by the client as a browser would
    if coding:
        assert int(response.headers["content-length"]) < len(MAP) / 5


def test_the_built_interface_ships_compressed_assets_and_an_icon() -> None:
    """The real build (scripts/setup): every large script, style and the map data have both variants,
    and the page names an icon that exists (favicon was a 404)."""
    from concord.api.web import DIST

    if not (DIST / "index.html").is_file():
        pytest.skip("the web interface is not built")
    big = [p for p in (DIST / "assets").iterdir() if p.suffix in (".js", ".css", ".json") and p.stat().st_size > 1024]
    assert big
    for path in big:
        for suffix in (".br", ".gz"):
            assert path.with_name(path.name + suffix).is_file(), f"{path.name}{suffix} was not built"
    assert '<link rel="icon" href="/favicon.svg"' in (DIST / "index.html").read_text()
    assert (DIST / "favicon.svg").is_file()
