"""The audit log in the database: persisted appends per second on SQLite, and its overhead on a write.

Peers in the same run: a raw sqlite3 insert of the same entry rows (the floor for persisting them),
and the same unit of work with the audit hook switched off (the overhead's baseline).
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import Row
from concord.clock import FixedClock, iso
from concord.domain.audit import new_nonce
from concord.domain.markings import Level, Marking, Tlp
from concord.services.audit import AuditService
from concord.settings import Settings
from concord.storage import audit as store
from concord.storage.db import Database
from concord.storage.events import append_event
from concord.storage.migrate import upgrade

MARKING = Marking.build(Level.RESTRICTED, "TUR", ["IRQ"], Tlp.AMBER)


def _new(i: int) -> store.NewEntry:
    return store.NewEntry(
        time=iso(datetime(2026, 11, 29, tzinfo=UTC)),
        actor_person=7,
        actor_nation="TUR",
        action="intel.updated",
        item_type="intel",
        item_id=f"indicator--{i:036d}",
        content_hash=hashlib.sha256(str(i).encode()).hexdigest(),
        request_id=f"req-{i}",
        nonce=new_nonce(),
        marking=MARKING,
    )


def _appends(path: Path, batches: int, per_batch: int) -> float:
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    # Entries as a service hands them over (content hashed, nonce drawn); the figure is the append.
    prepared = [[_new(b * per_batch + i) for i in range(per_batch)] for b in range(batches)]
    head = None
    started = time.perf_counter()
    for entries in prepared:
        with db.write() as tx:
            _, head = store.append_entries(tx.conn, entries, head)
    elapsed = time.perf_counter() - started
    db.dispose()
    return batches * per_batch / elapsed


def _raw(path: Path, batches: int, per_batch: int) -> float:
    """The same rows (entry + about one subtree hash each) through sqlite3 directly, hashes included."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE e (seq INTEGER PRIMARY KEY, time TEXT, actor_person INT, actor_nation TEXT, "
        "action TEXT, item_type TEXT, item_id TEXT, content_hash TEXT, request_id TEXT, nonce TEXT, "
        "leaf_hash BLOB, event_id INT, m_level INT, m_originator TEXT, m_releasable_to TEXT, m_tlp TEXT, "
        "m_caveats TEXT)"
    )
    conn.execute("CREATE TABLE n (level INT, idx INT, hash BLOB, PRIMARY KEY (level, idx))")
    prepared = [[_new(b * per_batch + i) for i in range(per_batch)] for b in range(batches)]
    started = time.perf_counter()
    seq = 0
    for entries in prepared:
        rows = []
        for e in entries:
            leaf = hashlib.sha256(b"\x00" + f"{seq}{e.item_id}{e.content_hash}{e.nonce}".encode()).digest()
            rows.append(
                (
                    seq,
                    e.time,
                    7,
                    "TUR",
                    e.action,
                    e.item_type,
                    e.item_id,
                    e.content_hash,
                    e.request_id,
                    e.nonce,
                    leaf,
                    None,
                    1,
                    "TUR",
                    "|IRQ|TUR|",
                    "AMBER",
                    "",
                )
            )
            seq += 1
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO e VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        conn.executemany("INSERT INTO n VALUES (?,?,?)", [(1, r[0], r[10]) for r in rows])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return batches * per_batch / elapsed


def _write_requests(path: Path, count: int, audited: bool) -> float:
    """Seconds per write unit of work appending one event (durable commit), with or without audit."""
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    if audited:
        AuditService(db, FixedClock(), Settings(database_url=db.url, data_dir=path.parent / "data"))
    now = datetime.now(UTC)
    started = time.perf_counter()
    for i in range(count):
        with db.write() as tx:
            append_event(
                tx,
                at=now,
                kind="intel.updated",
                item_type="intel",
                item_id=i,
                marking=MARKING,
                payload={"title": f"report {i}", "confidence": 80},
                actor_id=7,
                actor_nation="TUR",
            )
    elapsed = time.perf_counter() - started
    db.dispose()
    return elapsed / count


def run(quick: bool) -> list[Row]:
    batches, per_batch = (10, 500) if quick else (100, 1000)
    requests = 200 if quick else 1000
    with tempfile.TemporaryDirectory() as tmp:
        ours = _appends(Path(tmp) / "audit.db", batches, per_batch)
        floor = _raw(Path(tmp) / "raw.db", batches, per_batch)
        plain = _write_requests(Path(tmp) / "plain.db", requests, audited=False)
        audited = _write_requests(Path(tmp) / "audited.db", requests, audited=True)
    overhead = (audited - plain) / plain * 100
    return [
        Row(
            f"audit appends persisted on SQLite, {per_batch} per commit",
            ours,
            floor,
            "entries/s",
            "≥ 20,000/s; raw sqlite3 of the same rows is the floor",
            peer_name="raw sqlite3",
        ),
        Row(
            "audit overhead on a one-event write (durable commit)",
            overhead,
            None,
            "%",
            "< 10% of a write request (a bare unit of work: a conservative bound)",
            higher_is_better=False,
        ),
        Row(
            "one-event write with audit",
            audited * 1e3,
            plain * 1e3,
            "ms",
            "baseline: the same write, no audit",
            higher_is_better=False,
            peer_name="no audit",
        ),
    ]
