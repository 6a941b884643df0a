"""Engines and units of work. Dialect differences (SQLite pragmas, write locks) stay here."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url

from concord.private_files import private_dir
from concord.settings import sqlite_path
from concord.storage.event_order import Sequencer, order_in_transaction


@dataclass
class Tx:
    """An open write transaction and the event ids appended in it."""

    conn: Connection
    event_ids: list[int] = field(default_factory=list)
    # The appended events' values, so before-commit hooks (the audit log) need not read them back.
    events: list[dict[str, Any]] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine: Engine = _make_engine(url, echo=echo)
        self.dialect = self.engine.dialect.name
        self._published: list[Callable[[int], None]] = []
        self._before_commit: list[Callable[[Tx], None]] = []
        # SQLite has one writer at a time. Threads of this process queue for it here, woken the
        # moment the writer before them commits, instead of in SQLite's busy handler, which sleeps
        # and retries on a backoff of up to 100 ms. (Other processes still meet at SQLite's lock.)
        self._write_lock: AbstractContextManager[Any] = (
            threading.RLock() if self.dialect == "sqlite" else nullcontext())
        # PostgreSQL gives committed events their positions in this process's sequencer thread
        # (storage/event_order.py); SQLite inside each writer's transaction.
        self._sequencer = Sequencer(self.engine, self._publish) if self.dialect == "postgresql" else None

    def on_commit(self, publish: Callable[[int], None]) -> None:
        """Call `publish(position)` after each write that appended events (the bus): every event of
        that write has a position up to `position`."""
        self._published.append(publish)

    def before_commit(self, hook: Callable[[Tx], None]) -> None:
        """Call `hook(tx)` at the end of every write unit of work, inside its transaction (the audit log)."""
        self._before_commit.append(hook)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """One write unit of work: commit on success, roll back on any exception, then publish."""
        with self._write_lock, self.engine.connect().execution_options(concord_write=True) as conn:
            tx = Tx(conn)
            with conn.begin():
                yield tx
                for hook in self._before_commit:
                    hook(tx)
                if tx.event_ids:
                    order_in_transaction(conn)
        # The connection is back in the pool before waiting: a busy pool cannot stall the ordering.
        top = 0
        if tx.event_ids:
            top = self._sequencer.wait_ordered() if self._sequencer is not None else max(tx.event_ids)
        for callback in tx.after_commit:
            callback()
        if top:
            self._publish(top)

    def _publish(self, top: int) -> None:
        for publish in self._published:
            publish(top)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def refresh_statistics(self) -> None:
        """Bring the planner's table statistics up to date: at start and after a bulk import.

        The hot queries are shaped so their index is the best plan with or without statistics (see
        tests/integration/test_query_plans.py); current statistics keep the rest sensible as a
        store grows. SQLite analyses a sample (`analysis_limit`), so this takes milliseconds even
        at millions of rows; PostgreSQL's ANALYZE samples too (autovacuum repeats it as tables change).
        """
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn.exec_driver_sql("PRAGMA analysis_limit=1000")
            conn.exec_driver_sql("ANALYZE")
            conn.commit()

    def dispose(self) -> None:
        if self._sequencer is not None:
            self._sequencer.close()
        self.engine.dispose()


def _private_database_file(path: Path) -> None:
    """The database holds password hashes and every item: its directory 0700, the file 0600 before
    SQLite first opens it (SQLite gives the -wal and -shm files the database file's mode). A file
    left readable by an older version is narrowed."""
    private_dir(path.parent)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(descriptor)
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if each.exists() and each.stat().st_uid == os.getuid() and each.stat().st_mode & 0o077:
            each.chmod(0o600)


#: A pooled PostgreSQL connection unused for longer than this is pinged before it is handed out.
IDLE_PING_SECONDS = 0.5


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's `pool_pre_ping`, only for connections that sat idle: a round trip before every
    unit of work was one in five of an event append's and two of a posted message's. A connection
    handed back less than `IDLE_PING_SECONDS` ago was working then; one that has waited longer (the
    server restarted, an idle timeout, a network cut) is pinged, and on failure the pool is
    invalidated and a new connection made, exactly as pre-ping does."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < IDLE_PING_SECONDS:
            return  # new (just connected), or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.InvalidatePoolError(f"connection lost while idle: {error}") from error


def _make_engine(url: str, *, echo: bool) -> Engine:
    path = sqlite_path(url)
    if path is None:
        sa_url = make_url(url)
        if sa_url.drivername in ("postgresql", "postgres"):
            sa_url = sa_url.set(drivername="postgresql+psycopg")
        engine = create_engine(sa_url, echo=echo, pool_size=10, max_overflow=20)
        _ping_when_idle(engine)
        return engine

    if str(path) != ":memory:":
        _private_database_file(Path(path))
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below), so pysqlite must not.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit that returned is on disk even after a power cut, not only a process crash.
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front so two writers never deadlock upgrading a read lock.
        write = conn.get_execution_options().get("concord_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
