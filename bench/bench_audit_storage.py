"""The audit log in the database: persisted appends per second on SQLite, and its overhead on a write.

Peers in the same run: a raw sqlite3 insert of the same entry rows (the floor for persisting them),
and the same unit of work with the audit hook switched off (the overhead's baseline).
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import Row
from concord.clock import iso
from concord.domain import merkle
from concord.domain.audit import new_nonce
from concord.domain.markings import Level, Marking, Tlp
from concord.settings import Settings
from concord.storage import audit as store
from concord.storage.db import Database, Tx
from concord.storage.migrate import upgrade

BENCH_PASSWORD = "bench password 123"  # noqa: S105 - a throwaway account in a temporary database
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


def _stored_proofs(path: Path, size: int) -> tuple[float, float, float, float]:
    """Seconds per inclusion and per consistency proof read from the SQLite tables at `size` leaves,
    then the same proofs from the same tree held in memory (the hashing floor)."""
    db = Database(f"sqlite:///{path}")
    indexes = [(i * 7919) % size for i in range(200)]
    olds = [1 + (i * 104729) % (size - 1) for i in range(200)]

    def timed(tree: merkle.NodeSource) -> tuple[float, float]:
        started = time.perf_counter()
        for i in indexes:
            merkle.inclusion_proof(tree, i, size)
        inclusion = (time.perf_counter() - started) / len(indexes)
        started = time.perf_counter()
        for m in olds:
            merkle.consistency_proof(tree, m, size)
        return inclusion, (time.perf_counter() - started) / len(olds)

    with db.read() as conn:
        assert store.tree_size(conn) == size
        stored = timed(store.StoredTree(conn))
        memory = merkle.MemoryTree()
        memory.append(bytes(h) for (h,) in conn.exec_driver_sql("SELECT leaf_hash FROM audit_entries ORDER BY seq"))
    db.dispose()
    in_memory = timed(memory)
    return stored[0], stored[1], in_memory[0], in_memory[1]


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


class _TimedHook:
    """Wraps the audit's before-commit hook to add up the time it takes inside each write."""

    def __init__(self, hook: Callable[[Tx], None]) -> None:
        self.hook = hook
        self.seconds = 0.0

    def __call__(self, tx: Tx) -> None:
        started = time.perf_counter()
        self.hook(tx)
        self.seconds += time.perf_counter() - started


def _http_write_requests(tmp: Path, count: int) -> tuple[float, float]:
    """Seconds per write request through the HTTP API (an administrator disabling and enabling an
    account: one event each, durable commit) and the share of it spent writing the audit entry."""
    from fastapi.testclient import TestClient

    from concord.app import create_app
    from concord.centre import Centre
    from concord.domain.people import Role

    settings = Settings(
        database_url=f"sqlite:///{tmp / 'http.db'}",
        data_dir=tmp / "http-data",
        argon2_time_cost=1,
        argon2_memory_kib=8192,
        log_json=False,
    )
    centre = Centre(settings)
    centre.migrate()
    centre.nations.add("TUR", "Türkiye")
    admin = centre.people.create(
        None,
        username="tur.admin",
        display_name="Admin",
        nation="TUR",
        clearance=Level.SECRET,
        password=BENCH_PASSWORD,
    )
    centre.people.appoint(None, person_id=admin, role=Role.ADMINISTRATOR)
    target = centre.people.create(
        None,
        username="tur.target",
        display_name="Target",
        nation="TUR",
        clearance=Level.SECRET,
        password=BENCH_PASSWORD,
    )
    timed = _TimedHook(centre.db._before_commit.pop())  # the audit hook, registered by the centre
    centre.db.before_commit(timed)
    with TestClient(create_app(centre=centre)) as client:
        token = client.post("/api/session", json={"username": "tur.admin", "password": BENCH_PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['token']}"}
        timed.seconds = 0.0
        started = time.perf_counter()
        for i in range(count):
            action = "disable" if i % 2 == 0 else "enable"
            assert client.post(f"/api/people/{target}/{action}", headers=headers).status_code == 204
        elapsed = time.perf_counter() - started
    centre.close()
    return elapsed / count, timed.seconds / count


def run(quick: bool) -> list[Row]:
    batches, per_batch = (20, 1000) if quick else (1000, 1000)
    size = batches * per_batch
    label = "1M" if size == 1_000_000 else f"{size // 1000}k"
    requests = 100 if quick else 1000
    with tempfile.TemporaryDirectory() as tmp:
        ours = _appends(Path(tmp) / "audit.db", batches, per_batch)
        inclusion, consistency, inclusion_floor, consistency_floor = _stored_proofs(Path(tmp) / "audit.db", size)
        floor = _raw(Path(tmp) / "raw.db", batches, per_batch)
        per_request, in_audit = _http_write_requests(Path(tmp), requests)
    overhead = in_audit / per_request * 100
    return [
        Row(
            f"audit inclusion proof from SQLite at {label}",
            inclusion * 1e3,
            inclusion_floor * 1e3,
            "ms",
            "< 1 ms; floor = the same tree in memory",
            higher_is_better=False,
            peer_name="in memory",
        ),
        Row(
            f"audit consistency proof from SQLite at {label}",
            consistency * 1e3,
            consistency_floor * 1e3,
            "ms",
            "< 1 ms; floor = the same tree in memory",
            higher_is_better=False,
            peer_name="in memory",
        ),
        Row(
            f"audit appends persisted on SQLite, {per_batch} per commit",
            ours,
            floor,
            "entries/s",
            "≥ 20,000/s; raw sqlite3 of the same rows is the floor",
            peer_name="raw sqlite3",
        ),
        Row(
            "audit share of a write request (HTTP, one event, durable commit)",
            overhead,
            None,
            "%",
            "< 10% of the request's time",
            higher_is_better=False,
        ),
        Row("write request time, audit included", per_request * 1e3, None, "ms", "—", higher_is_better=False),
        Row("audit entry time inside that request", in_audit * 1e3, None, "ms", "—", higher_is_better=False),
    ]
