"""SIGTERM drains a real `concord serve` process (concord/api/drain.py): `/readyz` says draining at
once while the process still serves; then its WebSockets are closed with 1001 and their resume
point; then it stops accepting connections, and a request that was in flight all along is still
answered; the process exits 0.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from concord.centre import Centre
from concord.domain.people import Role
from tests.conftest import fast_settings
from tests.factories import PASSWORD, person
from tests.integration.realtime.live import Socket, free_port, sign_in

pytestmark = [pytest.mark.services]


def _serve(db_url: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CONCORD_DATABASE_URL": db_url, "CONCORD_DATA_DIR": str(data_dir),
           "CONCORD_LOG_JSON": "false", "PYTHONWARNINGS": "ignore", "CONCORD_COT__LISTEN": "false",
           "CONCORD_DRAIN_SECONDS": "2", "CONCORD_ESCALATION_SECONDS": "0", "CONCORD_INTEL_VALIDATION_WORKER": "false"}
    return subprocess.Popen([sys.executable, "-m", "concord", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _refused(address: str) -> bool:
    host, port = address.split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return True
    return False


def test_sigterm_drains_readiness_first_then_websockets_then_in_flight_requests(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'concord.db'}"
    centre = Centre(fast_settings(db_url, tmp_path / "data"))
    centre.migrate()
    centre.nations.add("TUR", "Türkiye")
    centre.nations.add("IRQ", "Iraq")
    person(centre, "TUR", (Role.LIAISON_OFFICER,), username="tur.sender")
    person(centre, "IRQ", (Role.WATCH_OFFICER,), username="irq.receiver")
    [joint] = [c for c in centre.channels.ensure_standard_channels() if c.kind.value == "centre"]
    centre.close()
    port = free_port()
    address = f"127.0.0.1:{port}"
    proc = _serve(db_url, tmp_path / "data", port)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, "concord serve did not start"
            try:
                if httpx.get(f"http://{address}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        sender = sign_in(address, "tur.sender", PASSWORD)
        receiver = Socket(address, sign_in(address, "irq.receiver", PASSWORD))
        body = json.dumps({"body": "before the drain", "precedence": "ROUTINE",
                           "marking": {"level": "RESTRICTED", "releasable_to": ["IRQ"]}})
        first = httpx.post(f"http://{address}/api/channels/{joint.id}/messages", content=body,
                           headers={"Authorization": f"Bearer {sender}", "Content-Type": "application/json"})
        assert first.status_code == 201, first.text
        [frame] = receiver.events(1, kinds=("message.posted",))
        cursor = frame["cursor"]

        # A request in flight: its headers and half its body are sent now, the rest after the stop.
        late = json.dumps({"body": "in flight through the drain", "precedence": "ROUTINE",
                           "marking": {"level": "RESTRICTED", "releasable_to": ["IRQ"]}}).encode()
        in_flight = socket.create_connection(("127.0.0.1", port), timeout=30)
        in_flight.sendall(f"POST /api/channels/{joint.id}/messages HTTP/1.1\r\nHost: {address}\r\n"
                          f"Authorization: Bearer {sender}\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(late)}\r\n\r\n".encode() + late[:20])

        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        # Draining: not ready (the balancer takes it out), still serving meanwhile.
        ready = httpx.get(f"http://{address}/readyz", timeout=5)
        assert (ready.status_code, ready.json()) == (503, {"status": "draining"})
        assert httpx.get(f"http://{address}/healthz", timeout=5).status_code == 200

        # After the hold: the WebSocket is told to reconnect and resume from its cursor.
        code, reason, frames = receiver.closed(timeout=15)
        assert code == 1001
        assert reason is not None and json.loads(reason) == {"resume_from": cursor}
        assert frames[-1]["type"] == "closing" and frames[-1]["resume_from"] == cursor

        deadline = time.monotonic() + 15
        while not _refused(address):  # no longer accepting
            assert time.monotonic() < deadline, "the process still accepts connections"
            time.sleep(0.05)
        assert proc.poll() is None  # …but it is still finishing the request in flight

        in_flight.sendall(late[20:])
        answer = in_flight.recv(65536).decode()
        in_flight.close()
        assert answer.startswith("HTTP/1.1 201"), answer
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)

    check = Centre(fast_settings(db_url, tmp_path / "data"))
    with check.db.read() as conn:
        bodies = [row[0] for row in conn.exec_driver_sql("SELECT body FROM messages ORDER BY id")]
    check.close()
    assert bodies == ["before the drain", "in flight through the drain"]
