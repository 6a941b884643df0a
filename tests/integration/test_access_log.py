"""The access log is quiet by default, per request on demand, and a 500 is logged exactly once."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from concord.app import create_app
from concord.centre import Centre
from concord.clock import FixedClock
from tests.conftest import fast_settings


def _client(database_url: str, tmp_path: Path, clock: FixedClock, **settings: object) -> Iterator[TestClient]:
    centre = Centre(fast_settings(database_url, tmp_path / "data", **settings), clock=clock)
    app = create_app(centre=centre)

    def boom() -> None:
        raise RuntimeError("a bug in a handler")

    app.add_api_route("/api/test-boom", boom)
    with TestClient(app) as client:
        yield client
    centre.close()


@pytest.fixture
def quiet(database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[TestClient]:
    yield from _client(database_url, tmp_path, clock)


@pytest.fixture
def verbose(database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[TestClient]:
    yield from _client(database_url, tmp_path, clock, log_access=True)


def _access(caplog: pytest.LogCaptureFixture, message: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "concord.access" and r.getMessage() == message]


def test_health_polls_are_not_logged_by_default(quiet: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    for _ in range(5):
        assert quiet.get("/healthz").status_code == 200
    assert _access(caplog, "request") == []


def test_log_access_writes_one_line_per_request(verbose: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    for _ in range(3):
        verbose.get("/healthz")
    lines = _access(caplog, "request")
    assert len(lines) == 3 and all(r.status == 200 and r.path == "/healthz" for r in lines)  # type: ignore[attr-defined]


def test_a_500_is_answered_as_json_and_logged_once(quiet: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    response = quiet.get("/api/test-boom")  # the client would raise if the error were re-raised
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal"
    request_id = response.headers["x-request-id"]
    logged = [r for r in caplog.records if r.exc_info and "a bug in a handler" in str(r.exc_info[1])]
    assert len(logged) == 1 and logged[0].request_id == request_id  # type: ignore[attr-defined]
