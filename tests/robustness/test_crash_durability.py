"""Kill the server with SIGKILL during a stream of writes: every acknowledged write survives.

A real `concord serve` process is started on a real database (SQLite file, PostgreSQL server), an
administrator creates appointments as fast as it can, the process is killed without warning, and
every appointment whose creation returned 201 must be in the database afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import select

from concord.centre import Centre
from concord.domain.people import Role
from concord.storage.people import appointments
from tests.conftest import fast_settings, throwaway_postgres
from tests.factories import PASSWORD, person


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["sqlite", "postgresql"])
def crash_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crash.db'}"
    else:
        with throwaway_postgres() as url:
            yield url


def start_server(url: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CONCORD_DATABASE_URL": url, "CONCORD_DATA_DIR": str(data_dir),
           "CONCORD_ARGON2_TIME_COST": "1", "CONCORD_ARGON2_MEMORY_KIB": "8192", "CONCORD_LOG_JSON": "false",
           # Any free ports for the TAK listeners: several servers (and other centres) run side by side.
           "CONCORD_COT__TCP_PORT": "0", "CONCORD_COT__TLS_PORT": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "concord", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # A new process imports the whole centre first: on a loaded 2-core machine that alone took 30 s.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the server did not become ready")


def test_acknowledged_writes_survive_sigkill(crash_database: str, tmp_path: Path) -> None:
    centre = Centre(fast_settings(crash_database, tmp_path / "data"))
    centre.migrate()
    centre.nations.add("TUR", "Türkiye")
    centre.nations.add("IRQ", "Iraq")
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.crashadmin")
    target_id, _ = person(centre, "TUR", (), username="tur.target")
    centre.close()

    port = free_port()
    server = start_server(crash_database, tmp_path / "data", port)
    base = f"http://127.0.0.1:{port}"
    token = httpx.post(f"{base}/api/session", json={"username": "tur.crashadmin", "password": PASSWORD}).json()["token"]
    acknowledged: list[int] = []
    stop = threading.Event()

    def write_stream() -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=5) as http:
            while not stop.is_set():
                try:
                    response = http.post("/api/appointments", json={"person_id": target_id, "role": "observer"})
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code == 201:
                    acknowledged.append(response.json()["id"])

    writers = [threading.Thread(target=write_stream) for _ in range(3)]
    for w in writers:
        w.start()
    time.sleep(2.0)
    server.send_signal(signal.SIGKILL)
    server.wait(timeout=10)
    stop.set()
    for w in writers:
        w.join(timeout=10)
    assert len(acknowledged) > 20, "the stream of writes was too short to mean anything"

    # Restart on the same database: it must come up and hold every acknowledged write.
    restarted = start_server(crash_database, tmp_path / "data", free_port())
    restarted.terminate()
    restarted.wait(timeout=10)
    check = Centre(fast_settings(crash_database, tmp_path / "data"))
    with check.db.read() as conn:
        stored = set(conn.execute(select(appointments.c.id)).scalars())
    check.close()
    missing = set(acknowledged) - stored
    assert not missing, f"{len(missing)} acknowledged writes were lost: {sorted(missing)[:10]}"
