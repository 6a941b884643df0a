"""Pooled PostgreSQL connections: one the server dropped while it sat idle (a restart, an idle
timeout) is found out before it is handed to a unit of work, which runs on a new one."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, event, text

from concord.storage.db import IDLE_PING_SECONDS, Database


def test_a_connection_dropped_while_idle_is_replaced_before_use(postgres_database: str) -> None:
    db = Database(postgres_database)
    admin = create_engine(postgres_database, isolation_level="AUTOCOMMIT")
    try:
        with db.read() as conn:
            backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend}).scalar_one()
        time.sleep(IDLE_PING_SECONDS + 0.2)
        with db.read() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != backend
        with db.write() as tx:  # and writes go on as before
            assert tx.conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        admin.dispose()
        db.dispose()


def test_a_connection_in_steady_use_is_not_pinged(postgres_database: str) -> None:
    db = Database(postgres_database)
    statements: list[str] = []
    try:
        with db.read() as conn:
            conn.execute(text("SELECT 1"))
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        pings: list[object] = []
        original = db.engine.dialect.do_ping
        db.engine.dialect.do_ping = lambda c: pings.append(c) or original(c)  # type: ignore[method-assign]
        for _ in range(5):
            with db.read() as conn:
                conn.execute(text("SELECT 2"))
        assert pings == [] and len(statements) == 5
    finally:
        db.dispose()
