"""Background loops never die silently: each is named, restarted with back-off when killed or failing,
logged with its traceback, counted in /metrics and reported by /readyz; a CoT port that is taken fails
the start with a clear message."""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from concord.app import create_app
from concord.centre import Centre, StartupError
from concord.clock import FixedClock
from concord.domain.people import Role
from concord.settings import CotSettings
from tests.conftest import fast_settings
from tests.factories import person

EXPECTED = {"event-feed", "escalations", "audit-checkpoints", "audit-sequencer", "cot-gateway",
            "deconfliction-follower", "federation-pull", "intel-index", "rfi-deadlines"}


def _centre(database_url: str, tmp_path: Path, clock: FixedClock, tcp_port: int = 0) -> Centre:
    cot = CotSettings(listen=True, tcp_port=tcp_port, tls_port=0, tcp_identity="tur.field")
    centre = Centre(fast_settings(database_url, tmp_path / "data", cot=cot, background_backoff_seconds=0.05,
                                  background_degraded_seconds=300), clock=clock)
    centre.nations.add("TUR", "Türkiye")
    person(centre, "TUR", (Role.FIELD_UNIT,), username="tur.field")
    return centre


@pytest.fixture
def supervised(database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[tuple[Centre, TestClient]]:
    centre = _centre(database_url, tmp_path, clock)
    with TestClient(create_app(centre=centre)) as client:
        yield centre, client
    centre.close()


def _wait(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_every_loop_killed_is_restarted_counted_and_reported(
    supervised: tuple[Centre, TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    centre, client = supervised
    supervisor = centre.supervisor
    assert set(supervisor.names) == EXPECTED
    _wait(lambda: all(supervisor.state(n).running for n in supervisor.names))
    assert client.get("/readyz").json() == {"status": "ready"}
    caplog.set_level(logging.ERROR, logger="concord.supervisor")
    for name in sorted(EXPECTED):
        client.portal.call(supervisor.kill, name)  # type: ignore[union-attr]
        _wait(lambda n=name: supervisor.state(n).restarts == 1 and supervisor.state(n).running)  # type: ignore[misc]
        assert f"background task {name} was killed" in caplog.text
    ready = client.get("/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "degraded"
    assert {t["task"] for t in body["tasks"]} == EXPECTED
    assert all(t["running"] and t["restarts"] == 1 and "killed" in t["reason"] for t in body["tasks"])
    metrics = client.get("/metrics").text
    for name in EXPECTED:
        assert f'concord_background_task_restarts_total{{task="{name}"}} 1.0' in metrics
        assert f'concord_background_task_up{{task="{name}"}} 1.0' in metrics
    # The CoT listener still answers after its loop was restarted.
    with socket.create_connection(("127.0.0.1", centre.cot.ports["tcp"]), timeout=5):
        pass


def test_a_failing_loop_is_logged_with_its_traceback_and_retried_with_backoff(
    supervised: tuple[Centre, TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    centre, client = supervised
    attempts: list[float] = []

    async def flaky() -> None:
        attempts.append(time.monotonic())
        if len(attempts) < 4:
            raise RuntimeError(f"database went away (attempt {len(attempts)})")
        await asyncio.Event().wait()

    caplog.set_level(logging.ERROR, logger="concord.supervisor")
    client.portal.call(centre.supervisor.add, "flaky", flaky)  # type: ignore[union-attr]
    client.portal.call(centre.supervisor.start)  # type: ignore[union-attr]
    _wait(lambda: len(attempts) == 4 and centre.supervisor.state("flaky").running)
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert all(gap >= 0.05 * 2**i * 0.9 for i, gap in enumerate(gaps)), gaps  # the back-off doubles
    assert "Traceback" in caplog.text and "database went away (attempt 3)" in caplog.text
    state = centre.supervisor.state("flaky")
    assert state.restarts == 3 and state.last_error == "RuntimeError: database went away (attempt 3)"


def test_a_cot_port_that_is_taken_fails_the_start_with_a_clear_message(
    database_url: str, tmp_path: Path, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        centre = _centre(database_url, tmp_path, clock, tcp_port=port)
        with pytest.raises(StartupError, match="CoT listeners cannot start"), TestClient(create_app(centre=centre)):
            pass
        centre.close()
    assert "the centre cannot start" in caplog.text and str(port) in caplog.text


def test_a_follower_that_fails_retries_by_itself_and_says_so_in_readyz_and_metrics(
    supervised: tuple[Centre, TestClient], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    centre, client = supervised
    follower = next(f for f in centre.followers if f.kind == "deconfliction")
    _wait(lambda: follower.position is not None)
    failures = 2
    real = centre.deconfliction._catch_up_now

    def flaky() -> None:
        nonlocal failures
        if failures:
            failures -= 1
            raise ConnectionError("database restarting")
        real()

    monkeypatch.setattr(centre.deconfliction, "_catch_up_now", flaky)
    caplog.set_level(logging.ERROR, logger="concord.follow")
    centre.nations.add("IRQ", "Iraq")            # an event: the follower wakes, fails twice, catches up
    _wait(lambda: failures == 0 and follower.lag == 0 and follower.errors == 2)
    assert "follower deconfliction failed; retrying" in caplog.text
    assert set(centre.supervisor.names) == EXPECTED   # retried in place, not restarted
    assert all(centre.supervisor.state(n).restarts == 0 for n in EXPECTED)
    body = client.get("/readyz").json()
    assert body["status"] == "degraded"
    assert {"task": "follower:deconfliction", "reason": "ConnectionError: database restarting", "restarts": 2,
            "running": True} in body["tasks"]
    metrics = client.get("/metrics").text
    assert 'concord_follower_errors_total{follower="deconfliction"} 2.0' in metrics
    assert 'concord_follower_lag_events{follower="deconfliction"} 0.0' in metrics
    assert 'concord_followers{follower="event-feed"} 1.0' in metrics
