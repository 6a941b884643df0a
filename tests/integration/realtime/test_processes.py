"""Two `concord serve` processes on one PostgreSQL database: a message posted on one is pushed by
the other, for each cross-process bus (PostgreSQL LISTEN/NOTIFY, Redis, NATS) on the real servers.

The processes re-read the event log only every 60 s on their own, so delivery within seconds
shows the bus carried the wake-up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.factories import PASSWORD, sender_and_receiver_centre
from tests.integration.realtime.live import Socket, free_port, sign_in

pytestmark = [pytest.mark.postgres, pytest.mark.services]

BUSES = {
    "postgres": lambda db_url, channel: db_url.replace("postgresql+psycopg://", "postgresql://")
    + f"?channel={channel}",
    "redis": lambda _db, channel: os.environ.get("CONCORD_TEST_REDIS", "redis://127.0.0.1:6379/0")
    + f"?channel={channel}",
    "nats": lambda _db, channel: os.environ.get("CONCORD_TEST_NATS", "nats://127.0.0.1:4222") + f"?channel={channel}",
}


@pytest.fixture(scope="module")
def shared_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The database and the one data directory (keys, files) every process of the centre shares."""
    data_dir = tmp_path_factory.mktemp("procs")
    with sender_and_receiver_centre(data_dir) as url:
        yield url, data_dir


def start_server(db_url: str, bus_url: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Spawn `concord serve` (not yet waiting for it: both processes start side by side)."""
    port = free_port()
    env = {**os.environ, "CONCORD_DATABASE_URL": db_url, "CONCORD_BUS_URL": bus_url,
           "CONCORD_DATA_DIR": str(data_dir), "CONCORD_FEED_POLL_SECONDS": "60", "CONCORD_ESCALATION_SECONDS": "0",
           "CONCORD_LOG_JSON": "false", "PYTHONWARNINGS": "ignore",
           # Any free ports for the TAK listeners: several servers (and other centres) run side by side.
           "CONCORD_COT__TCP_PORT": "0", "CONCORD_COT__TLS_PORT": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "concord", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return proc, f"127.0.0.1:{port}"


def wait_ready(proc: subprocess.Popen[bytes], address: str) -> None:
    # A new process imports the whole centre first: on a loaded 2-core machine that alone took 30 s.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"concord serve exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://{address}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    proc.wait(5)
    if proc.stderr:
        proc.stderr.close()
    raise AssertionError("concord serve did not become ready")


@pytest.mark.parametrize("bus", sorted(BUSES))
def test_a_message_posted_on_one_process_is_pushed_by_the_other(bus: str,
                                                                shared_database: tuple[str, Path]) -> None:
    url, data_dir = shared_database
    bus_url = BUSES[bus](url, f"t_{uuid.uuid4().hex[:12]}")
    a, address_a = start_server(url, bus_url, data_dir)
    b, address_b = start_server(url, bus_url, data_dir)
    try:
        wait_ready(a, address_a)
        wait_ready(b, address_b)
        sender = sign_in(address_a, "tur.sender", PASSWORD)
        receiver = Socket(address_b, sign_in(address_b, "irq.receiver", PASSWORD))
        with httpx.Client(base_url=f"http://{address_a}", headers={"Authorization": f"Bearer {sender}"}) as api:
            joint = next(c["id"] for c in api.get("/api/channels").json() if c["kind"] == "centre")
            for i in range(3):
                began = time.monotonic()
                posted = api.post(f"/api/channels/{joint}/messages", json={
                    "body": f"cross-process {bus} {i}", "precedence": "IMMEDIATE",
                    "marking": {"level": "RESTRICTED", "releasable_to": ["IRQ"]}})
                assert posted.status_code == 201, posted.text
                [frame] = receiver.events(1, timeout=10, kinds=("message.posted",))
                assert frame["event"]["payload"]["id"] == posted.json()["id"]
                assert time.monotonic() - began < 5  # the bus, not the 60 s poll
        receiver.close()
    finally:
        for proc in (a, b):
            proc.terminate()
        for proc in (a, b):
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            if proc.stderr:
                proc.stderr.close()
