"""A durable follower (services/follow.py `durable_step`) survives `kill -9` in the middle of a batch
and runs in one process at a time: every event is handled exactly once, whichever process handles it.
Real processes, killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from concord.domain.markings import Level, Marking, Tlp
from concord.storage.db import Database
from concord.storage.events import append_event
from concord.storage.follower_positions import load_position

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 23     # four full batches of five and a partial one
AT = datetime(2026, 1, 1, tzinfo=UTC)


def _prepare(url: str) -> tuple[Database, int]:
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS handled_test"))
        conn.execute(text("CREATE TABLE handled_test (event_id BIGINT PRIMARY KEY)"))
    marking = Marking.build(Level.RESTRICTED, "TUR", ["IRQ"], Tlp.AMBER)
    with db.write() as tx:
        ids = [append_event(tx, at=AT, kind="test.tick", item_type="test", item_id=n, marking=marking)
               for n in range(EVENTS)]
    return db, ids[-1]


def _worker(url: str, last_id: int, crash_batch: int = 0, pause: float = 0.0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.durable_follower_worker", url, str(last_id), str(crash_batch),
         str(pause)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"})


def _handled(db: Database) -> list[int]:
    with db.read() as conn:
        return [int(i) for i in conn.execute(text("SELECT event_id FROM handled_test ORDER BY event_id")).scalars()]


def _finish(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return out


def test_a_follower_killed_mid_batch_resumes_and_handles_every_event_once(database_url: str) -> None:
    db, last_id = _prepare(database_url)
    try:
        first = _worker(database_url, last_id, crash_batch=3)
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "MID"      # batch 3: three rows written, not committed
        first.send_signal(signal.SIGKILL)
        first.wait(30)
        first.stdout.close()
        if first.stderr is not None:
            first.stderr.close()
        done = _handled(db)
        with db.read() as conn:
            position = load_position(conn, "test-durable")
        assert done == [i for i in range(last_id - EVENTS + 1, last_id + 1)][:10]  # two batches committed
        assert position == done[-1]
        out = _finish(_worker(database_url, last_id))
        assert out.strip() == "DONE errors=0"                 # no event handled a second time
        assert _handled(db) == list(range(last_id - EVENTS + 1, last_id + 1))
    finally:
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS handled_test"))
        db.dispose()


def test_two_processes_running_one_follower_handle_each_event_once(database_url: str) -> None:
    db, last_id = _prepare(database_url)
    try:
        workers = [_worker(database_url, last_id, pause=0.05) for _ in range(2)]
        outputs = [_finish(w) for w in workers]
        assert [o.strip() for o in outputs] == ["DONE errors=0", "DONE errors=0"]
        assert _handled(db) == list(range(last_id - EVENTS + 1, last_id + 1))
    finally:
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS handled_test"))
        db.dispose()
