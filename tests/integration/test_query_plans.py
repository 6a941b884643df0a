"""The hot reads by id seek an index on both stores, whatever the planner knows.

Each query is the one the storage code really sends (captured as it runs), explained by the
database itself. A change that turns one of them into a scan of a table, or that leaves the by-id
index for one the planner happens to like better, fails here and not in a user's feed at a million
objects. SQLite is asked twice: with no statistics (a fresh or never-analysed file: the planner's
guesses) and after `PRAGMA optimize`; PostgreSQL after `ANALYZE`, as autovacuum and the bulk import
leave it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql
from sqlalchemy import Connection, event

from concord.domain.intel_query import ObjectQuery, VersionMatch
from concord.domain.markings import Level, Reader
from concord.storage import intel as intel_store
from concord.storage import intel_read
from concord.storage.db import Database
from concord.storage.intel import intel_objects, intel_versions
from concord.storage.migrate import upgrade
from tests.conftest import throwaway_postgres

NATIONS = ("TUR", "IRQ", "ZZA")
PER_NATION = 4000  # enough rows that PostgreSQL's planner, like a real feed's, prefers an index to a scan
READER = Reader(1, "IRQ", Level.SECRET)


def stix_id(n: int) -> str:
    return f"indicator--00000000-0000-4000-8000-{n:012d}"


def seed(db: Database) -> None:
    """A feed per nation, interleaved in time, each object released to every nation."""
    objects, versions = [], []
    for n in range(len(NATIONS) * PER_NATION):
        nation = NATIONS[n % len(NATIONS)]
        at = f"2026-01-01T00:{(n // 60) % 60:02d}:{n % 60:02d}.{n:06d}Z"
        objects.append({
            "id": n + 1, "stix_id": stix_id(n), "stix_type": "indicator", "revoked": False, "latest_version": at,
            "latest_modified": at, "title": f"Fictional indicator {n}", "search_text": f"fictional {n}",
            "created_by_person": None, "first_added": at, "source_ref": None, "target_ref": None,
            "m_level": 0, "m_originator": nation, "m_releasable_to": "|" + "|".join(sorted(NATIONS)) + "|",
            "m_tlp": "GREEN", "m_caveats": "",
        })
        versions.append({
            "object_id": n + 1, "stix_id": stix_id(n), "stix_type": "indicator", "originator": nation,
            "version": at, "date_added": at, "spec_version": "2.1", "is_latest": True, "raw": "{}",
        })
    with db.write() as tx:
        tx.conn.execute(intel_objects.insert(), objects)
        tx.conn.execute(intel_versions.insert(), versions)


@contextmanager
def captured(db: Database) -> Iterator[list[tuple[str, Any]]]:
    """The statements (with their parameters) the storage code sends inside the block."""
    sent: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)


def plan(conn: Connection, statement: str, parameters: Any) -> str:
    prefix = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
    return "\n".join(str(row[-1]) for row in conn.exec_driver_sql(prefix + statement, parameters))


#: (name, the read as the services call it, the index its plan must seek, or the indexes it may seek)
HOT_READS: list[tuple[str, Callable[[Connection], object], str | tuple[str, ...]]] = [
    ("TAXII object by id in a nation's feed",
     lambda c: intel_read.taxii_page(c, READER, ObjectQuery(), originator="TUR", stix_id=stix_id(3000)),
     "ix_intel_versions_stix_origin_added"),
    ("TAXII versions of an object",
     lambda c: intel_read.taxii_page(c, READER, ObjectQuery(versions=VersionMatch(last=False, all=True)),
                                     originator="TUR", stix_id=stix_id(3000), with_raw=False),
     "ix_intel_versions_stix_origin_added"),
    ("TAXII object by id in the joint feed",
     lambda c: intel_read.taxii_page(c, READER, ObjectQuery(), stix_id=stix_id(3001)),
     "ix_intel_versions_stix_origin_added"),
    ("TAXII objects with match[id]",
     lambda c: intel_read.taxii_page(c, READER, ObjectQuery(ids=frozenset({stix_id(3000), stix_id(3003)})),
                                     originator="TUR"),
     "ix_intel_versions_stix_origin_added"),
    ("TAXII manifest with match[id]",
     lambda c: intel_read.taxii_page(c, READER, ObjectQuery(ids=frozenset({stix_id(3000)})), originator="TUR",
                                     with_raw=False),
     "ix_intel_versions_stix_origin_added"),
    ("TAXII page of a nation's feed after a cursor",
     lambda c: intel_read.taxii_page(c, READER, ObjectQuery(types=frozenset({"indicator"}), limit=100,
                                                            added_after="2026-01-01T00:30:00.000000Z"),
                                     originator="TUR"),
     # Either walk reads only the page (and the rows of other feeds or types it skips) from the cursor on.
     ("ix_intel_versions_origin_added", "ix_intel_versions_type_added")),
    ("objects of a STIX id (TAXII delete, REST lookup)",
     lambda c: intel_read.visible_object_ids(c, READER, stix_id(3000), "TUR"),
     # The unique (originator, STIX id) constraint seeks as well; SQLite names its index itself.
     ("ix_intel_objects_stix_id", "uq_intel_objects_originator_stix_id", "sqlite_autoindex_intel_objects_1")),
    ("REST objects by STIX id", lambda c: intel_read.find_objects(c, READER, stix_id(3000)),
     "ix_intel_objects_stix_id"),
    ("REST versions of an object", lambda c: intel_read.versions_of(c, READER, 3001),
     ("uq_intel_versions_object_version", "sqlite_autoindex_intel_versions_1")),
    # Ingest's lookups of what the writer already holds: their cost must not grow with the store either.
    ("ingest: the writer's objects by STIX id",
     lambda c: intel_store.objects_by_stix_id(c, "TUR", [stix_id(n) for n in (10, 3000, 4000)]),
     ("uq_intel_objects_originator_stix_id", "ix_intel_objects_stix_id", "sqlite_autoindex_intel_objects_1")),
    ("ingest: storage ids by STIX id", lambda c: intel_store.ids_by_stix_id(c, "TUR", [stix_id(3000)]),
     ("uq_intel_objects_originator_stix_id", "ix_intel_objects_stix_id", "sqlite_autoindex_intel_objects_1")),
    ("ingest: versions held", lambda c: intel_store.existing_versions(c, [10, 3001]),
     ("uq_intel_versions_object_version", "sqlite_autoindex_intel_versions_1")),
]


@pytest.fixture(scope="module", params=["sqlite, no statistics", "sqlite, analysed", "postgresql, analysed"])
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           sqlite_template: Path) -> Iterator[Database]:
    """One seeded store per state, shared by the module's tests (they only read)."""
    with ExitStack() as stack:
        if request.param.startswith("sqlite"):
            target = tmp_path_factory.mktemp("plans") / "concord.db"
            shutil.copy(sqlite_template, target)
            url = f"sqlite:///{target}"
        else:
            url = stack.enter_context(throwaway_postgres())
            migrated = Database(url)
            upgrade(migrated)
            migrated.dispose()
        db = Database(url)
        stack.callback(db.dispose)
        seed(db)
        if request.param.endswith("analysed"):
            db.refresh_statistics()
        yield db


def assert_seeks(db: Database, name: str, read: Callable[[Connection], object], index: str | tuple[str, ...]) -> None:
    indexes = (index,) if isinstance(index, str) else index
    with db.read() as conn, captured(db) as sent:
        read(conn)
    assert sent, f"{name}: sent no query"
    with db.engine.connect() as conn:
        for statement, parameters in sent:
            shown = plan(conn, statement, parameters)
            assert any(i in shown for i in indexes), f"{name}: uses none of {indexes}:\n{shown}"
            for table in ("intel_versions", "intel_objects"):
                # SQLite: "SCAN <table>" (a covering-index scan says "SCAN <table> USING ..." too);
                # PostgreSQL: "Seq Scan on <table>".
                assert f"SCAN {table}" not in shown and f"Seq Scan on {table}" not in shown, (
                    f"{name}: scans {table}:\n{shown}")


@pytest.mark.parametrize(("name", "read", "index"), HOT_READS, ids=[r[0] for r in HOT_READS])
def test_hot_read_seeks_its_index(
    seeded: Database, name: str, read: Callable[[Connection], object], index: str | tuple[str, ...]
) -> None:
    assert_seeks(seeded, name, read, index)


def test_ingest_lookups_seek_by_id_on_postgresql_with_stale_statistics_and_a_generic_plan() -> None:
    """The statistics of a store that filled since it was last analysed (a new centre taking its first
    envelopes) and the value-blind plan the driver settles on once it prepares a statement: written
    `stix_id = ANY(:ids)`, the lookup walked the originator's whole feed (20 ms at 50k, growing)."""
    with throwaway_postgres() as url:
        db = Database(url)
        upgrade(db)
        fill = ("INSERT INTO intel_objects (stix_id, stix_type, revoked, latest_version, latest_modified, title, "
                "search_text, first_added, m_level, m_originator, m_releasable_to, m_tlp, m_caveats) "
                "SELECT 'indicator--' || g, 'indicator', false, 'v', 'v', 't', 's', 'd', 0, 'TUR', '|TUR|', "
                "'CLEAR', '' FROM generate_series(CAST(%s AS integer), CAST(%s AS integer)) AS g")
        with db.engine.begin() as conn:
            conn.exec_driver_sql(fill, (1, 4))
            conn.exec_driver_sql("ANALYZE intel_objects")
            conn.exec_driver_sql(fill, (5, 50_000))
        wanted = ["indicator--7", "indicator--40000"]
        with db.engine.connect() as conn, captured(db) as sent:
            assert set(intel_store.objects_by_stix_id(conn, "TUR", wanted)) == set(wanted)
            assert set(intel_store.ids_by_stix_id(conn, "TUR", wanted)) == set(wanted)
        with db.engine.connect() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            driver.execute("SET plan_cache_mode = force_generic_plan")
            for number, (statement, parameters) in enumerate(sent):
                # A prepared statement, as the driver makes of one it has run a few times, explained
                # with the plan it is forced to keep for any values.
                names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", statement)))
                for place, name in enumerate(names, 1):
                    statement = statement.replace(f"%({name})s", f"${place}")
                driver.execute(f"PREPARE lookup{number} AS {statement}")
                values = sql.SQL(", ").join(sql.Literal(parameters[name]) for name in names)
                rows = driver.execute(sql.SQL("EXPLAIN EXECUTE {}({})").format(
                    sql.Identifier(f"lookup{number}"), values)).fetchall()
                shown = "\n".join(str(row[0]) for row in rows)
                assert re.search(r"Index Cond: \(\(stix_id\)::text = ", shown), shown
        db.dispose()
