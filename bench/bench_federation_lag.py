"""Federation replication lag: an incident committed on TUR's node until it is visible on IRQ's.

Two real `concord serve` processes, each on its own SQLite file, peered by consent, IRQ's pulling
every 0.1 s (`CONCORD_FEDERATION_POLL_SECONDS`). A client reports incidents released to IRQ on
TUR's node at a steady rate; an observer reads IRQ's database every 10 ms and notes when each
arrives. The lag of one incident: from TUR's answer to its POST (committed there) to the first read
that finds it on IRQ. The floor beside it, in the same run: how long the observer takes to see an
incident on TUR's own database after TUR's answer (what the measurement itself costs).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.bench_federation_feed import node_centre
from bench.harness import Row, free_port, percentile
from concord.centre import Centre
from concord.clock import iso
from concord.domain.people import Role
from tests.factories import PASSWORD, person

POLL_SECONDS = 0.1


def _prepare(directory: Path, nation: str) -> Centre:
    centre = node_centre(directory, nation)
    person(centre, nation, (Role.ADMINISTRATOR,), username=f"{nation.lower()}.admin")
    person(centre, nation, (Role.WATCH_OFFICER,), username=f"{nation.lower()}.watch")
    return centre


def _serve(directory: Path, nation: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CONCORD_DATABASE_URL": f"sqlite:///{directory / nation}.db",
           "CONCORD_DATA_DIR": str(directory / nation), "CONCORD_NODE_NATION": nation,
           "CONCORD_FEDERATION_POLL_SECONDS": str(POLL_SECONDS), "CONCORD_LOG_JSON": "false",
           "CONCORD_ARGON2_TIME_COST": "1", "CONCORD_ARGON2_MEMORY_KIB": "8192", "CONCORD_COT__LISTEN": "false",
           "CONCORD_INTEL_VALIDATION_WORKER": "false", "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen([sys.executable, "-m", "concord", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _ready(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the node on port {port} did not become ready")


def _titles(database: Path) -> set[str]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as conn:
        return {str(r[0]) for r in conn.execute("SELECT title FROM incidents")}


def run(quick: bool) -> list[Row]:
    rate, seconds = (10.0, 5.0) if quick else (20.0, 15.0)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        ports = {"TUR": free_port(), "IRQ": free_port()}
        centres = {n: _prepare(directory, n) for n in ports}
        for own, other in (("TUR", "IRQ"), ("IRQ", "TUR")):
            admin = centres[own].people.actor(person(centres[own], own, (Role.ADMINISTRATOR,))[0])
            centres[own].federation.add_peer(admin, name=f"{other.lower()}-node", nation=other,
                                             url=f"http://127.0.0.1:{ports[other]}",
                                             key=centres[other].federation.public_key(), level="SECRET")
        for centre in centres.values():
            centre.close()
        procs = [_serve(directory, n, p) for n, p in ports.items()]
        try:
            for port in ports.values():
                _ready(port)
            with httpx.Client(base_url=f"http://127.0.0.1:{ports['TUR']}", timeout=30) as api:
                token = api.post("/api/session", json={"username": "tur.watch", "password": PASSWORD}).json()["token"]
                api.headers["Authorization"] = f"Bearer {token}"
                committed: dict[str, float] = {}
                seen_irq: dict[str, float] = {}
                seen_tur: dict[str, float] = {}
                done = threading.Event()

                def observe() -> None:
                    while not done.is_set() or len(seen_irq) < len(committed):
                        for database, seen in ((directory / "IRQ.db", seen_irq), (directory / "TUR.db", seen_tur)):
                            now = time.perf_counter()
                            for title in _titles(database) - set(seen):
                                seen[title] = now
                        if done.is_set() and time.perf_counter() > stop_at:
                            return
                        time.sleep(0.01)

                stop_at = float("inf")
                watcher = threading.Thread(target=observe)
                watcher.start()
                started = time.perf_counter()
                for n in range(int(rate * seconds)):
                    time.sleep(max(0.0, started + n / rate - time.perf_counter()))
                    title = f"lag {n}"
                    answer = api.post("/api/incidents", json={
                        "category": "other", "title": title,
                        "location": {"type": "Point", "coordinates": [44.0, 37.1]},
                        "occurred_from": iso(datetime.now(UTC) - timedelta(hours=1)), "partners": ["IRQ"],
                        "marking": {"level": "RESTRICTED", "releasable_to": ["IRQ"], "tlp": "AMBER"}})
                    committed[title] = time.perf_counter()
                    assert answer.status_code == 201, answer.text
                stop_at = time.perf_counter() + 30
                done.set()
                watcher.join()
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
    lags = [max(0.0, seen_irq[t] - c) * 1000 for t, c in committed.items() if t in seen_irq]
    floor = [max(0.0, seen_tur[t] - c) * 1000 for t, c in committed.items() if t in seen_tur]
    lost = len(committed) - len(lags)
    return [
        Row(f"replication lag p50, {rate:.0f} incidents/s, pull every {POLL_SECONDS} s", percentile(lags, 50),
            percentile(floor, 50), "ms", "-", higher_is_better=False, peer_name="seen on TUR itself"),
        Row(f"replication lag p99, {rate:.0f} incidents/s", percentile(lags, 99), percentile(floor, 99), "ms",
            "< 500 ms at 100 changes/s", higher_is_better=False, peer_name="seen on TUR itself"),
        Row("incidents not arrived within 30 s", float(lost), None, "", "0", higher_is_better=False),
    ]
