"""The event log's append rate on SQLite (durable commits), with a raw sqlite3 insert as the floor."""

from __future__ import annotations

import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import Row
from concord.domain.markings import Level, Marking, Tlp
from concord.storage.db import Database
from concord.storage.events import append_event
from concord.storage.migrate import upgrade


def _concord(path: Path, batches: int, per_batch: int) -> float:
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    marking = Marking.build(Level.RESTRICTED, "TUR", ["IRQ"], Tlp.AMBER)
    now = datetime.now(UTC)
    started = time.perf_counter()
    for b in range(batches):
        with db.write() as tx:
            for i in range(per_batch):
                append_event(tx, at=now, kind="bench.event", item_type="bench", item_id=b * per_batch + i,
                             marking=marking, payload={"n": i})
    elapsed = time.perf_counter() - started
    db.dispose()
    return batches * per_batch / elapsed


def _raw(path: Path, batches: int, per_batch: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE e (id INTEGER PRIMARY KEY, at TEXT, kind TEXT, item TEXT, payload TEXT, m TEXT)")
    started = time.perf_counter()
    for b in range(batches):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO e (at, kind, item, payload, m) VALUES (?, ?, ?, ?, ?)",
                         [("2026-01-01", "bench.event", str(b * per_batch + i), '{"n": 1}', "|IRQ|TUR|")
                          for i in range(per_batch)])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return batches * per_batch / elapsed


def run(quick: bool) -> list[Row]:
    batches, per_batch = (20, 50) if quick else (200, 100)
    with tempfile.TemporaryDirectory() as tmp:
        single = _concord(Path(tmp) / "single.db", batches * per_batch // 10 if not quick else 100, 1)
        batched = _concord(Path(tmp) / "c.db", batches, per_batch)
        raw = _raw(Path(tmp) / "raw.db", batches, per_batch)
    return [
        Row("event appends, 1 per durable commit", single, None, "events/s", "—"),
        Row(f"event appends, {per_batch} per durable commit", batched, raw, "events/s",
            "the raw sqlite3 insert is the floor", peer_name="raw sqlite3"),
    ]
