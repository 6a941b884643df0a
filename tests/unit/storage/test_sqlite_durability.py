"""SQLite runs in WAL mode with foreign keys on and durable (FULL) commits."""

from __future__ import annotations

from pathlib import Path

from concord.storage.db import Database


def test_sqlite_pragmas(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    db.dispose()


def test_a_failed_unit_of_work_writes_nothing(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'y.db'}")
    with db.write() as tx:
        tx.conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    try:
        with db.write() as tx:
            tx.conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
    db.dispose()
