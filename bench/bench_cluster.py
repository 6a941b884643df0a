"""Chat message POSTs per second through HAProxy: 2 `concord serve` processes against 1, on
PostgreSQL + Redis, same run, same load generator (`scripts/cluster`; 32 concurrent HTTP clients
in one asyncio process on this machine). The row's target names the cores the machine has: every
process, the balancer, the database and the load generator share them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.harness import Row, throwaway_postgres
from concord.centre import Centre
from concord.domain.markings import Level
from concord.domain.people import Role
from concord.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = 32
PASSWORD = "correct horse battery staple 42"  # noqa: S105 - a throwaway account in a temporary database
REDIS = os.environ.get("CONCORD_BENCH_REDIS", "redis://127.0.0.1:6379/0")


def _prepare(url: str, data: Path) -> None:
    centre = Centre(Settings(database_url=url, data_dir=data, argon2_time_cost=1, argon2_memory_kib=8192,
                             log_json=False))
    centre.migrate()
    centre.nations.add("TUR", "Türkiye")
    centre.nations.add("IRQ", "Iraq")
    person = centre.people.create(None, username="tur.bench", display_name="Bench sender", nation="TUR",
                                  clearance=Level.SECRET,
                                  password=PASSWORD)
    centre.people.appoint(None, person_id=person, role=Role.LIAISON_OFFICER)
    centre.channels.ensure_standard_channels()
    centre.close()


async def _load(address: str, seconds: float) -> float:
    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=30,
                                 limits=httpx.Limits(max_connections=CLIENTS)) as http:
        signed = await http.post("/api/session", json={"username": "tur.bench", "password": PASSWORD})
        token = signed.json()["token"]
        http.headers["Authorization"] = f"Bearer {token}"
        joint = next(c["id"] for c in (await http.get("/api/channels")).json() if c["kind"] == "centre")
        body = {"body": "bench", "precedence": "ROUTINE", "marking": {"level": "RESTRICTED", "releasable_to": ["IRQ"]}}
        for _ in range(20):  # warm up: connections, caches
            await http.post(f"/api/channels/{joint}/messages", json=body)
        done = 0
        deadline = time.monotonic() + seconds

        async def client() -> None:
            nonlocal done
            while time.monotonic() < deadline:
                answer = await http.post(f"/api/channels/{joint}/messages", json=body)
                if answer.status_code == 201:
                    done += 1

        started = time.monotonic()
        await asyncio.gather(*(client() for _ in range(CLIENTS)))
        return done / (time.monotonic() - started)


def _measure(url: str, data: Path, workers: int, seconds: float) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        state = Path(scratch) / "state.json"
        env = {**os.environ, "CONCORD_DATABASE_URL": url, "CONCORD_DATA_DIR": str(data),
               "CONCORD_BUS_URL": f"{REDIS}?channel=bench_{uuid.uuid4().hex[:10]}", "CONCORD_LOG_JSON": "false",
               "CONCORD_INTEL_VALIDATION_WORKER": "false", "CONCORD_DRAIN_SECONDS": "0", "PYTHONWARNINGS": "ignore"}
        proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "cluster.py"), "--workers", str(workers),
                                 "--port", "0", "--no-cot", "--state", str(state)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 240
            while not state.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("scripts/cluster did not become ready")
                time.sleep(0.2)
            return asyncio.run(_load(json.loads(state.read_text())["http"], seconds))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(90)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run(quick: bool = False) -> list[Row]:
    seconds = 5.0 if quick else 20.0
    with throwaway_postgres() as url, tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "data"
        _prepare(url, data)
        one = _measure(url, data, 1, seconds)
        two = _measure(url, data, 2, seconds)
    return [Row(f"chat message POSTs/s, 2 processes behind HAProxy (PostgreSQL + Redis, {CLIENTS} clients)",
                two, one, "POST/s", f"> 1 process ({os.cpu_count()} cores for all)",
                peer_name="1 process behind HAProxy")]
