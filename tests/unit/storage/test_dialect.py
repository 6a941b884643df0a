"""The dialect room: named locks, insert-or-ignore, upsert and one-parameter lists on both databases,
and no dialect branch anywhere above storage."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select, text

import concord
from concord.storage import dialect
from concord.storage.db import Database
from concord.storage.dialect import Lock

_scratch = MetaData()
_things = Table("dialect_things", _scratch, Column("id", Integer, primary_key=True),
                Column("name", String(20), nullable=False, unique=True), Column("n", Integer, nullable=False))


@pytest.fixture
def db(database_url: str) -> Database:
    database = Database(database_url)
    with database.engine.begin() as conn:
        _things.drop(conn, checkfirst=True)
        _things.create(conn)
    yield database  # type: ignore[misc]
    with database.engine.begin() as conn:
        _things.drop(conn, checkfirst=True)
    database.dispose()


def test_every_lock_has_its_own_key_that_fits_the_two_key_form() -> None:
    values = [lock.value for lock in Lock]
    assert len(values) == len(set(values))
    assert all(0 < v < 2**31 for v in values)


def test_insert_or_ignore_skips_rows_that_exist_and_upsert_replaces_them(db: Database) -> None:
    with db.write() as tx:
        name = dialect.name(tx.conn)
        tx.conn.execute(dialect.insert_or_ignore(name, _things), [{"id": 1, "name": "a", "n": 1}])
        tx.conn.execute(dialect.insert_or_ignore(name, _things),
                        [{"id": 2, "name": "a", "n": 9}, {"id": 3, "name": "b", "n": 2}])
        tx.conn.execute(dialect.upsert(name, _things, ["name"]), [{"id": 4, "name": "b", "n": 5}])
    with db.read() as conn:
        rows = conn.execute(select(_things.c.name, _things.c.n, _things.c.id).order_by(_things.c.name)).all()
    assert [tuple(r) for r in rows] == [("a", 1, 1), ("b", 5, 4)]


def test_one_of_selects_by_a_single_parameter_holding_many_values(db: Database) -> None:
    with db.write() as tx:
        ids = dialect.insert_returning_ids(tx.conn, _things, _things.c.id,
                                           [{"name": f"t{i}", "n": i} for i in range(50)])
        assert ids == sorted(ids) and len(set(ids)) == 50
        name = dialect.name(tx.conn)
        query = select(_things.c.n).where(dialect.one_of(name, _things.c.name, "names"))
        found = tx.conn.execute(query, {"names": dialect.many(name, ["t3", "t7", "nothing"])}).scalars().all()
    assert sorted(found) == [3, 7]


def _hold_in_thread(db: Database, lock: Lock, key: str | None, release: threading.Event,
                    held: threading.Event) -> threading.Thread:
    def run() -> None:
        with db.write() as tx:
            dialect.hold(tx.conn, lock, key)
            held.set()
            release.wait(10)
    thread = threading.Thread(target=run)
    thread.start()
    assert held.wait(10)
    return thread


def _takes(db: Database, lock: Lock, key: str | None) -> bool:
    """Whether another transaction could take the lock at once (PostgreSQL's lock_timeout decides)."""
    try:
        with db.engine.connect() as conn, conn.begin():
            conn.execute(text("SET LOCAL lock_timeout = '200ms'"))
            dialect.hold(conn, lock, key)
        return True
    except Exception as exc:  # the lock timeout, and nothing else
        assert "lock timeout" in str(exc)
        return False


def test_a_keyed_lock_excludes_only_writers_of_the_same_key(postgres_database: str) -> None:
    # Advisory locks are PostgreSQL's; on SQLite the write lock serialises every writer already.
    db = Database(postgres_database)
    release, held = threading.Event(), threading.Event()
    thread = _hold_in_thread(db, Lock.DECONFLICTION, "cell:8:1234", release, held)
    try:
        assert not _takes(db, Lock.DECONFLICTION, "cell:8:1234")
        assert _takes(db, Lock.DECONFLICTION, "cell:8:1235")
        assert _takes(db, Lock.INTEL_OBJECT, "cell:8:1234")  # another lock, the same key
        assert _takes(db, Lock.DECONFLICTION, None)  # the whole-centre key space is separate
    finally:
        release.set()
        thread.join()
    started = time.monotonic()
    assert _takes(db, Lock.DECONFLICTION, "cell:8:1234")  # released at commit
    assert time.monotonic() - started < 1
    db.dispose()


_BRANCH = re.compile(r"\.dialect\b|pg_advisory|paramstyle|sqlalchemy\.dialects")


def test_no_module_above_storage_knows_which_database_it_runs_on() -> None:
    package = Path(concord.__file__).parent
    offenders = [
        f"{path.relative_to(package)}:{n}"
        for path in package.rglob("*.py") if "storage" not in path.relative_to(package).parts[:1]
        for n, line in enumerate(path.read_text().splitlines(), 1) if _BRANCH.search(line)
    ]
    assert offenders == []


def test_advisory_locks_are_taken_only_in_the_dialect_room() -> None:
    storage = Path(concord.__file__).parent / "storage"
    takers = sorted(p.name for p in storage.rglob("*.py") if "pg_advisory" in p.read_text())
    assert takers == ["dialect.py"]
