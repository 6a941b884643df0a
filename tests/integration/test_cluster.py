"""Several `concord serve` processes behind HAProxy (`scripts/cluster`), on PostgreSQL and the real
Redis and NATS servers.

WebSocket clients connect through HAProxy and are spread over the processes; messages are posted
through HAProxy, so each lands on any process. Mid-traffic one process is killed with SIGKILL: its
clients reconnect through HAProxy to another process and resume from their cursor. At the end
every client holds exactly the events of the log after its start — none missing, none twice —
and every POST that was answered 201 is among them. The processes re-read the log only every 60 s
on their own, so what the clients receive live came through the bus.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.factories import PASSWORD, sender_and_receiver_centre

pytestmark = [pytest.mark.postgres, pytest.mark.services]

ROOT = Path(__file__).resolve().parents[2]
BUSES = {
    "redis": lambda channel: os.environ.get("CONCORD_TEST_REDIS", "redis://127.0.0.1:6379/0") + f"?channel={channel}",
    "nats": lambda channel: os.environ.get("CONCORD_TEST_NATS", "nats://127.0.0.1:4222") + f"?channel={channel}",
}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A centre on a fresh PostgreSQL database: two nations, a sender and a receiver, the channels.
    The processes share its data directory (the centre's keys); they make the TAK CA, once."""
    data = tmp_path_factory.mktemp("cluster")
    with sender_and_receiver_centre(data / "shared") as url:
        yield url, data / "shared"


@contextlib.contextmanager
def cluster(db_url: str, bus_url: str, data_dir: Path, state: Path, workers: int) -> Iterator[dict[str, Any]]:
    env = {**os.environ, "CONCORD_DATABASE_URL": db_url, "CONCORD_BUS_URL": bus_url,
           "CONCORD_DATA_DIR": str(data_dir), "CONCORD_FEED_POLL_SECONDS": "60", "CONCORD_ESCALATION_SECONDS": "0",
           "CONCORD_LOG_JSON": "false", "PYTHONWARNINGS": "ignore", "CONCORD_ARGON2_TIME_COST": "1",
           "CONCORD_ARGON2_MEMORY_KIB": "8192", "CONCORD_DRAIN_SECONDS": "1",
           "CONCORD_INTEL_VALIDATION_WORKER": "false"}
    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "cluster.py"), "--workers", str(workers),
                             "--port", "0", "--cot-tcp-port", "0", "--cot-tls-port", "0", "--tag-responses",
                             "--no-restart", "--state", str(state)], env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240  # each process imports the whole centre: slow on a loaded machine
        while not state.exists():
            assert proc.poll() is None, "scripts/cluster exited before it was ready"
            assert time.monotonic() < deadline, "the cluster did not become ready"
            time.sleep(0.2)
        yield json.loads(state.read_text())
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(90)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


class Client(threading.Thread):
    """A WebSocket client that reconnects through the balancer after any close and resumes from
    its cursor, telling the server which events above it it already holds."""

    def __init__(self, address: str, token: str) -> None:
        super().__init__(daemon=True)
        self.address, self.token = address, token
        self.cursor: int | None = None
        self.events: list[tuple[int, str]] = []  # (id, kind) in arrival order
        self.servers: list[str] = []  # the process behind each connection
        self.closes: list[int | None] = []
        self.ready = threading.Event()
        self.done = threading.Event()
        self.start_position = 0
        self.failure: BaseException | None = None

    def _connect(self) -> ClientConnection:
        deadline = time.monotonic() + 30
        while True:
            try:
                ws = connect(f"ws://{self.address}/api/ws", open_timeout=10, max_size=None, legacy=True,
                             additional_headers={"Authorization": f"Bearer {self.token}"})
            except (OSError, InvalidHandshake, InvalidStatus, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
                continue
            assert ws.response is not None
            self.servers.append(ws.response.headers.get("X-Concord-Server", "?"))
            held = sorted(i for i, _ in self.events if self.cursor is not None and i > self.cursor)
            ws.send(json.dumps({"type": "hello", "last_event_id": self.cursor, "received_after": held}))
            return ws

    def run(self) -> None:
        try:
            while not self.done.is_set():
                ws = self._connect()
                try:
                    while not self.done.is_set():
                        try:
                            frame = json.loads(ws.recv(timeout=0.5))
                        except TimeoutError:
                            continue
                        if frame["type"] == "welcome":
                            if self.cursor is None:
                                self.cursor = self.start_position = frame["resume_from"]
                            self.ready.set()
                        elif frame["type"] == "event":
                            self.events.append((frame["event"]["id"], frame["event"]["kind"]))
                            self.cursor = max(self.cursor or 0, frame["cursor"])
                        elif frame["type"] == "closing":
                            self.cursor = frame["resume_from"] if frame["resume_from"] is not None else self.cursor
                except ConnectionClosed as closed:
                    self.closes.append(closed.rcvd.code if closed.rcvd else None)
                finally:
                    ws.close()
        except BaseException as exc:  # reported by the test
            self.failure = exc


def sign_in(address: str, username: str) -> str:
    answer = httpx.post(f"http://{address}/api/session", json={"username": username, "password": PASSWORD},
                        timeout=30)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


class Poster(threading.Thread):
    """Posts messages through the balancer as fast as they are answered; keeps the ids answered 201."""

    def __init__(self, address: str, token: str, channel: int, tag: str) -> None:
        super().__init__(daemon=True)
        self.http = httpx.Client(base_url=f"http://{address}", headers={"Authorization": f"Bearer {token}"},
                                 timeout=30)
        self.channel, self.tag = channel, tag
        self.acked: list[int] = []
        self.refused = 0
        self.stop = threading.Event()

    def post(self, body: str) -> int | None:
        try:
            answer = self.http.post(f"/api/channels/{self.channel}/messages", json={
                "body": body, "precedence": "ROUTINE",
                "marking": {"level": "RESTRICTED", "releasable_to": ["IRQ"]}})
        except httpx.HTTPError:
            self.refused += 1
            return None
        if answer.status_code != 201:
            self.refused += 1  # not acknowledged (a 502 while a process died): it may or may not exist
            return None
        message_id = int(answer.json()["id"])
        self.acked.append(message_id)
        return message_id

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            self.post(f"{self.tag} {n}")


def log_after(address: str, token: str, after: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    with httpx.Client(base_url=f"http://{address}", headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
        while True:
            page = api.get("/api/events", params={"after": after, "limit": 1000}).json()
            if not page:
                return out
            out.extend(page)
            after = page[-1]["id"]


@pytest.mark.parametrize("bus", sorted(BUSES))
def test_clients_over_the_processes_get_every_event_and_resume_exactly_after_a_kill_9(
        bus: str, prepared: tuple[str, Path], tmp_path: Path) -> None:
    db_url, data_dir = prepared
    with cluster(db_url, BUSES[bus](f"t_{uuid.uuid4().hex[:12]}"), data_dir, tmp_path / "state.json", 2) as state:
        address = state["http"]
        receiver = sign_in(address, "irq.receiver")
        sender = sign_in(address, "tur.sender")
        channels = httpx.get(f"http://{address}/api/channels", headers={"Authorization": f"Bearer {sender}"}).json()
        joint = next(c["id"] for c in channels if c["kind"] == "centre")
        clients = [Client(address, receiver) for _ in range(8)]
        for client in clients:
            client.start()
            assert client.ready.wait(60), client.failure
        # Least connections spreads the clients over both processes.
        first = {c.servers[0] for c in clients}
        assert first == {w["name"] for w in state["workers"]}, first

        posters = [Poster(address, sender, joint, f"{bus} poster {i}") for i in range(2)]
        for poster in posters:
            poster.start()
        while sum(len(p.acked) for p in posters) < 40:
            time.sleep(0.05)
        victim = state["workers"][0]
        os.kill(victim["pid"], signal.SIGKILL)  # mid-traffic: requests in flight on it fail unanswered
        acked_at_kill = sum(len(p.acked) for p in posters)
        while sum(len(p.acked) for p in posters) < acked_at_kill + 40:
            time.sleep(0.05)
        for poster in posters:
            poster.stop.set()
            poster.join(30)
        # A last message after the traffic: once every client has it, each has had every chance.
        last = posters[0].post(f"{bus} last")
        assert last is not None
        deadline = time.monotonic() + 60
        log = log_after(address, receiver, min(c.start_position for c in clients))
        last_event = next(e["id"] for e in log if e["kind"] == "message.posted" and e["payload"]["id"] == last)
        while any(last_event not in {i for i, _ in c.events} for c in clients) and time.monotonic() < deadline:
            time.sleep(0.1)
        for client in clients:
            client.done.set()
        for client in clients:
            client.join(10)
        for poster in posters:
            poster.http.close()

    for client in clients:
        assert client.failure is None, client.failure
        ids = [i for i, _ in client.events]
        expected = [e["id"] for e in log if e["id"] > client.start_position and e["id"] <= last_event]
        assert len(ids) == len(set(ids)), "an event was delivered twice"
        assert sorted(i for i in ids if i <= last_event) == expected, "an event is missing"
    moved = [c for c in clients if c.servers[0] == victim["name"]]
    assert moved and all(len(c.servers) >= 2 and c.servers[-1] != victim["name"] for c in moved), \
        [(c.servers, c.closes) for c in moved]
    posted = {e["payload"]["id"] for e in log if e["kind"] == "message.posted"}
    acked = {i for p in posters for i in p.acked}
    assert acked <= posted, "an acknowledged POST is not in the log"
    assert len(acked) >= 80
    print(f"{bus}: {len(acked)} POSTs answered, {sum(p.refused for p in posters)} not; "
          f"{len(moved)} clients moved off the killed process, closes {[c.closes for c in moved]}")
