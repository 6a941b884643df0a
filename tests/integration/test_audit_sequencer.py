"""The audit sequencer on the real PostgreSQL server: writers queue leaves without waiting for the
tree; a sequencer killed with SIGKILL in the middle of a batch loses nothing and integrates nothing
twice; two sequencers at once integrate each leaf once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from concord.centre import Centre
from concord.clock import FixedClock
from concord.domain import merkle
from concord.domain.markings import Level, Marking
from concord.storage import audit as store
from concord.storage import audit_queue
from concord.storage.events import append_event
from tests.conftest import _wipe_postgres, fast_settings

MARKING = Marking.build(Level.RESTRICTED, "TUR", ["IRQ"])
WRITES = 300

# Run by a child process: integrate one batch, and stop for good half way through it.
_SEQUENCER = textwrap.dedent("""
    import sys, time
    from concord.storage.db import Database
    from concord.storage import audit_queue
    db = Database(sys.argv[1])
    def midway():
        print("midway", flush=True)
        time.sleep(120)
    with db.engine.connect() as conn, conn.begin():
        audit_queue.integrate(conn, None, batch=int(sys.argv[2]), midway=midway)
""")


@pytest.fixture
def centre(postgres_database: str, tmp_path: Path) -> Iterator[Centre]:
    _wipe_postgres(postgres_database)
    the_centre = Centre(fast_settings(postgres_database, tmp_path / "data"), clock=FixedClock())
    yield the_centre
    the_centre.db.dispose()


def _write(centre: Centre, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        with centre.db.write() as tx:
            append_event(tx, at=datetime(2026, 1, 1, tzinfo=UTC), kind="test.audited", item_type="test",
                         item_id=n, marking=MARKING, payload={"n": n})


def _counts(centre: Centre) -> tuple[int, int, int]:
    with centre.db.read() as conn:
        entries = conn.execute(text("SELECT count(*) FROM audit_entries")).scalar_one()
        distinct = conn.execute(text("SELECT count(DISTINCT nonce) FROM audit_entries")).scalar_one()
        return int(entries), int(distinct), audit_queue.pending(conn)


def _tree_is_whole(centre: Centre, size: int) -> None:
    """Sequence numbers 0..size-1, and every leaf provably in the signed checkpoint."""
    assert centre.audit.issue_checkpoint() == size
    with centre.db.read() as conn:
        seqs = [int(s) for (s,) in conn.execute(text("SELECT seq FROM audit_entries ORDER BY seq"))]
        leaves = [bytes(h) for (h,) in conn.execute(text("SELECT leaf_hash FROM audit_entries ORDER BY seq"))]
        tree = store.StoredTree(conn)
        root = merkle.root(tree, size)
        assert seqs == list(range(size))
        for index in (0, size // 2, size - 1):
            proof = merkle.inclusion_proof(tree, index, size)
            assert merkle.verify_inclusion(index, size, leaves[index], proof, root)


def test_writers_queue_leaves_and_the_sequencer_integrates_them(centre: Centre) -> None:
    _write(centre, 20)
    assert _counts(centre) == (0, 0, 20)  # queued, durable, not yet in the tree
    assert centre.audit.integrate() == 20
    assert _counts(centre) == (20, 20, 0)
    _tree_is_whole(centre, 20)


def test_a_sequencer_killed_mid_batch_loses_nothing_and_integrates_nothing_twice(centre: Centre) -> None:
    _write(centre, WRITES)
    child = subprocess.Popen([sys.executable, "-c", _SEQUENCER, centre.settings.database_url, str(WRITES // 2)],
                             stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "midway"
        # Half a batch is written, uncommitted, the sequencer's lock held: nobody else may integrate.
        assert centre.audit.integrate(wait=False) == 0
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert _counts(centre)[2] == WRITES  # the batch rolled back with its process
    # The server frees the dead sequencer's lock with its connection: this one takes over.
    assert centre.audit.integrate() == WRITES
    assert centre.audit.integrate() == 0
    assert _counts(centre) == (WRITES, WRITES, 0)
    _tree_is_whole(centre, WRITES)


def test_two_sequencers_at_once_integrate_each_leaf_once(centre: Centre) -> None:
    _write(centre, 50)
    done: list[int] = []
    writer = threading.Thread(target=_write, args=(centre, 200, 50))
    sequencers = [threading.Thread(target=lambda: done.append(sum(centre.audit.integrate() for _ in range(40))))
                  for _ in range(2)]
    for thread in (writer, *sequencers):
        thread.start()
    for thread in (writer, *sequencers):
        thread.join()
    done.append(centre.audit.integrate())
    assert sum(done) == 250
    assert _counts(centre) == (250, 250, 0)
    _tree_is_whole(centre, 250)


def test_the_sequencer_loop_asks_nothing_of_a_store_where_nothing_is_queued(tmp_path: Path) -> None:
    """On SQLite writers append to the tree themselves: the loop must not poll the queue (it read it
    five times a second on the embedded default, for nothing)."""
    import asyncio

    from sqlalchemy import event

    sqlite = Centre(fast_settings(f"sqlite:///{tmp_path / 'c.db'}", tmp_path / "data"), clock=FixedClock())
    sqlite.migrate()
    statements: list[str] = []
    event.listen(sqlite.db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    async def run_a_while() -> None:
        loop = asyncio.create_task(sqlite.audit.run_sequencer())
        await asyncio.sleep(0.7)
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop

    try:
        asyncio.run(run_a_while())
    finally:
        sqlite.db.dispose()
    assert statements == []


def test_the_sequencer_loop_integrates_on_postgresql(centre: Centre) -> None:
    import asyncio

    _write(centre, 5)
    assert _counts(centre)[2] == 5

    async def run_a_while() -> None:
        loop = asyncio.create_task(centre.audit.run_sequencer())
        for _ in range(50):
            await asyncio.sleep(0.1)
            if _counts(centre)[2] == 0:
                break
        loop.cancel()

    asyncio.run(run_a_while())
    assert _counts(centre) == (5, 5, 0)
