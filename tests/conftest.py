"""Shared fixtures. Every storage-backed test runs on SQLite and on PostgreSQL.

PostgreSQL is the real server (127.0.0.1:5432 by default, `CONCORD_TEST_POSTGRES` to change it), in a
throwaway database created for this test run and dropped at the end. A test that cannot reach it
fails: it never skips.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from concord.centre import Centre
from concord.clock import FixedClock
from concord.settings import Settings
from concord.storage import all_tables  # noqa: F401
from concord.storage.db import Database
from concord.storage.migrate import upgrade
from concord.storage.schema import metadata

POSTGRES_SERVER = os.environ.get("CONCORD_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
BACKENDS = ["sqlite", "postgresql"]


def fast_settings(database_url: str, data_dir: Path, **extra: object) -> Settings:
    """Settings for tests: cheap argon2 parameters (the algorithm is the same)."""
    return Settings(database_url=database_url, data_dir=data_dir, argon2_time_cost=1, argon2_memory_kib=8192,
                    log_json=False, **extra)


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database for the duration of the block; dropped afterwards."""
    name = f"concord_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        pytest.fail(f"PostgreSQL is required and unreachable at {POSTGRES_SERVER}: {exc}", pytrace=False)
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(autouse=True)
def _environment_restored() -> Iterator[None]:
    """No test's environment variables outlive it (`concord demo` run in process sets CONCORD_*
    defaults that every later test's Settings would read; module fixtures guard their own)."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated; dropped afterwards."""
    with throwaway_postgres() as url:
        db = Database(url)
        upgrade(db)
        db.dispose()
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is much faster)."""
    path = tmp_path_factory.mktemp("template") / "concord.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


def _wipe_postgres(url: str) -> None:
    db = Database(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        target = tmp_path / "concord.db"
        shutil.copy(sqlite_template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_database")
    _wipe_postgres(url)
    return url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 29, 8, 0, tzinfo=UTC))


@pytest.fixture
def centre(database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[Centre]:
    c = Centre(fast_settings(database_url, tmp_path / "data"), clock=clock)
    c.nations.add("TUR", "Türkiye")
    c.nations.add("IRQ", "Iraq")
    yield c
    c.close()


@pytest.fixture
def app(centre: Centre):  # type: ignore[no-untyped-def]
    from concord.app import create_app

    return create_app(centre=centre)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as test_client:
        yield test_client
