"""Event appends on PostgreSQL with 32 concurrent writers: Concord's path (no lock held through
commit, positions given after commit), the locked path it replaced (one advisory lock per append
until commit), and a pgbench floor of the same single-row insert + commit, on the same server in
the same run. Writers are 4 processes of 8 threads (one Python process would measure its GIL)."""

from __future__ import annotations

import multiprocessing
import re
import shutil
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.harness import Row, throwaway_postgres
from concord.domain.markings import Level, Marking, Tlp
from concord.storage.db import Database, Tx
from concord.storage.events import append_event
from concord.storage.migrate import upgrade

PROCESSES, THREADS = 4, 8
#: The lock every event append held until commit before issue 16 (the old `_EVENT_LOCK`).
OLD_APPEND_LOCK = 7_340_001


def _writers(url: str, locked: bool, seconds: float, counts: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    db = Database(url)
    marking = Marking.build(Level.RESTRICTED, "TUR", ["IRQ"], Tlp.AMBER)
    now = datetime.now(UTC)
    done = [0] * THREADS
    deadline = time.monotonic() + seconds

    def write(n: int) -> None:
        while time.monotonic() < deadline:
            if locked:  # the old path: lock, insert, commit; ids were the order
                with db.engine.connect() as conn, conn.begin():
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": OLD_APPEND_LOCK})
                    append_event(Tx(conn), at=now, kind="bench.event", item_type="bench", item_id=n,
                                 marking=marking, payload={"n": n})
            else:
                with db.write() as tx:
                    append_event(tx, at=now, kind="bench.event", item_type="bench", item_id=n,
                                 marking=marking, payload={"n": n})
            done[n] += 1

    threads = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.dispose()
    counts.put(sum(done))


def _concord(url: str, locked: bool, seconds: float) -> float:
    ctx = multiprocessing.get_context("spawn")
    counts: multiprocessing.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [ctx.Process(target=_writers, args=(url, locked, seconds, counts)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    total = sum(counts.get(timeout=seconds + 120) for _ in procs)
    for p in procs:
        p.join()
    # Each writer process counts from its own start (imports excluded) for `seconds`.
    return total / seconds


def _pgbench(url: str, seconds: float) -> float:
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        raise RuntimeError("pgbench is missing: install Debian's postgresql-client")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE e (id bigserial PRIMARY KEY, at timestamptz, kind text, payload json)"))
    engine.dispose()
    parts = make_url(url)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "insert.sql"
        script.write_text("INSERT INTO e (at, kind, payload) VALUES (now(), 'x', '{}');\n")
        out = subprocess.run(
            [pgbench, "-n", "-f", str(script), "-c", str(PROCESSES * THREADS), "-j", "2", "-T", str(int(seconds)),
             "-h", parts.host or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres",
             parts.database or ""],
            capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    found = re.search(r"tps = ([0-9.]+)", out)
    if found is None:
        raise RuntimeError(f"pgbench printed no tps:\n{out}")
    return float(found.group(1))


def run(quick: bool) -> list[Row]:
    seconds = 4.0 if quick else 15.0
    with throwaway_postgres() as url:
        db = Database(url)
        upgrade(db)
        db.dispose()
        locked = _concord(url, locked=True, seconds=seconds)
        free = _concord(url, locked=False, seconds=seconds)
        floor = _pgbench(url, seconds)
    writers = PROCESSES * THREADS
    return [
        Row(f"PostgreSQL event appends, {writers} writers, 1 per commit: vs the locked path", free, locked,
            "events/s", "≥ 10× the locked path", peer_name="lock held through commit"),
        Row(f"PostgreSQL event appends, {writers} writers, 1 per commit: vs pgbench", free, floor,
            "events/s", "within 2× of pgbench (ratio ≥ 0.5)", peer_name="pgbench insert+commit"),
    ]
