"""STIX objects and their versions, TAXII status resources and the paging key.

An *object* is one STIX id as published by one originator nation (two nations may hold the same
id: each holds its own copy, so nobody learns that another nation holds an id they cannot see).
Its marking — derived from its STIX markings or set by its originator — governs every version of
it, so narrowing release hides old versions too. A *version* is one `modified` of the object,
stored as the exact text that was sent, with the time it was added.

Ordering: versions are served in (date_added, id) order, and a version's date_added is given so that
one committed later never sorts before one a reader has already paged past (`storage.intel_order`).
Writers lock only the objects they write (`lock_objects`), never the whole centre.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    insert,
    select,
    text,
    update,
)

from concord.domain.markings import Marking
from concord.storage.dialect import (
    POSTGRESQL,
    Lock,
    hold_keys,
    ids_of_insert,
    insert_or_ignore,
    is_postgresql,
    many,
    one_of,
)
from concord.storage.policy import marking_from_row, marking_values
from concord.storage.schema import BigId, marking_columns, metadata

intel_objects = Table(
    "intel_objects",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("stix_id", String(300), nullable=False),
    Column("stix_type", String(250), nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("latest_version", String(31), nullable=False),
    Column("latest_modified", String(31), nullable=False),  # for REST time filters
    Column("title", String(300), nullable=False),
    Column("search_text", Text, nullable=False),
    Column("created_by_person", Integer, nullable=True),
    Column("first_added", String(31), nullable=False),
    # For relationships and sightings: what they link (to list an object's relationships).
    Column("source_ref", String(300), nullable=True),
    Column("target_ref", String(300), nullable=True),
    *marking_columns(),
    UniqueConstraint("m_originator", "stix_id", name="uq_intel_objects_originator_stix_id"),
    Index("ix_intel_objects_stix_id", "stix_id"),
    Index("ix_intel_objects_type_modified", "stix_type", "latest_modified"),
    # Partial (migration intel_3): only relationships and sightings link anything.
    Index("ix_intel_objects_source_ref", "source_ref", sqlite_where=text("source_ref IS NOT NULL"),
          postgresql_where=text("source_ref IS NOT NULL")),
    Index("ix_intel_objects_target_ref", "target_ref", sqlite_where=text("target_ref IS NOT NULL"),
          postgresql_where=text("target_ref IS NOT NULL")),
)

intel_versions = Table(
    "intel_versions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("object_id", BigId, ForeignKey("intel_objects.id", ondelete="CASCADE"), nullable=False),
    Column("stix_id", String(300), nullable=False),  # copied from the object: filters use one table
    Column("stix_type", String(250), nullable=False),
    Column("originator", String(3), nullable=False),
    Column("version", String(31), nullable=False),  # timestamp key of modified / created / date_added
    Column("date_added", String(31), nullable=False),  # timestamp key
    Column("spec_version", String(8), nullable=False),
    Column("is_latest", Boolean, nullable=False),
    Column("raw", Text, nullable=False),
    UniqueConstraint("object_id", "version", name="uq_intel_versions_object_version"),
    Index("ix_intel_versions_added", "date_added", "id"),
    Index("ix_intel_versions_type_added", "stix_type", "date_added", "id"),
    Index("ix_intel_versions_origin_added", "originator", "date_added", "id"),
    # Reads by id seek this one index for their equalities and their order (migration intel_4).
    Index("ix_intel_versions_stix_origin_added", "stix_id", "originator", "date_added", "id"),
)

intel_statuses = Table(
    "intel_statuses",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("person_id", BigId, nullable=False),
    Column("collection", String(36), nullable=False),
    Column("request_timestamp", String(31), nullable=False),
    Column("total", Integer, nullable=False),
    Column("successes", JSON, nullable=False),
    Column("failures", JSON, nullable=False),
)

intel_keys = Table(
    "intel_keys",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", LargeBinary(64), nullable=False),
)



@dataclass(frozen=True, slots=True)
class ObjectRow:
    id: int
    stix_id: str
    stix_type: str
    revoked: bool
    latest_version: str
    title: str
    search_text: str
    first_added: str
    marking: Marking


@dataclass(frozen=True, slots=True)
class NewVersion:
    object_id: int
    stix_id: str
    stix_type: str
    originator: str
    version: str
    date_added: str
    raw: str


def lock_objects(conn: Connection, originator: str, stix_ids: Iterable[str]) -> None:
    """Lock the originator's objects with these ids until commit: two writers of one object take
    turns (the second reads what the first wrote: no lost version, no duplicate object), writers of
    different objects never wait for each other. (PostgreSQL; an SQLite writer holds the database.)"""
    hold_keys(conn, Lock.INTEL_OBJECT, (f"{originator} {stix_id}" for stix_id in stix_ids))


def paging_key(conn: Connection) -> bytes:
    """The HMAC key for TAXII `next` tokens, shared by every server process through the database."""
    existing = conn.execute(select(intel_keys.c.value).where(intel_keys.c.name == "taxii-paging")).scalar()
    if existing is not None:
        return bytes(existing)
    key = secrets.token_bytes(32)
    conn.execute(insert(intel_keys), {"name": "taxii-paging", "value": key})
    return key


def _object(row: Any) -> ObjectRow:
    m = row._mapping
    return ObjectRow(
        m["id"],
        m["stix_id"],
        m["stix_type"],
        bool(m["revoked"]),
        m["latest_version"],
        m["title"],
        m["search_text"],
        m["first_added"],
        marking_from_row(m),
    )


def objects_by_stix_id(conn: Connection, originator: str, stix_ids: Iterable[str]) -> dict[str, ObjectRow]:
    """The originator's own objects with these ids (writers only ever touch their own nation's)."""
    ids = set(stix_ids)
    if not ids:
        return {}
    dialect = conn.dialect.name
    rows = conn.execute(_objects_query(dialect), {"originator": originator, "ids": many(dialect, ids)})
    return {row.stix_id: _object(row) for row in rows}


def existing_versions(conn: Connection, object_ids: Sequence[int]) -> set[tuple[int, str]]:
    if not object_ids:
        return set()
    dialect = conn.dialect.name
    rows = conn.execute(_versions_query(dialect), {"ids": many(dialect, object_ids)})
    return {(r.object_id, r.version) for r in rows}


# Lookups by many values, built once per dialect (SQLAlchemy then reuses their compiled form).
#
# PostgreSQL looks each value up on its own, through a LATERAL subquery the planner cannot flatten
# (LIMIT / OFFSET 0), so the key's index is the only plan. Written `stix_id = ANY(:ids)`, the
# generic plan of the prepared statement, or statistics from when the table was small, walked the
# originator's whole feed on every lookup, and ingest slowed as the store filled (issue 24).
_PG_OBJECTS = ("FROM unnest(CAST(:ids AS varchar[])) AS wanted(stix_id) CROSS JOIN LATERAL ("
               "SELECT * FROM intel_objects WHERE m_originator = :originator AND stix_id = wanted.stix_id LIMIT 1) o")


def _originators(dialect: str) -> Any:
    o = intel_objects.c
    return and_(o.m_originator == bindparam("originator"), one_of(dialect, o.stix_id, "ids"))


@cache
def _objects_query(dialect: str) -> Any:
    if dialect == POSTGRESQL:
        return text(f"SELECT o.* {_PG_OBJECTS}").columns(*intel_objects.c)
    return select(intel_objects).where(_originators(dialect))


@cache
def _ids_query(dialect: str) -> Any:
    if dialect == POSTGRESQL:
        return text(f"SELECT o.stix_id, o.id {_PG_OBJECTS}")
    return select(intel_objects.c.stix_id, intel_objects.c.id).where(_originators(dialect))


@cache
def _versions_query(dialect: str) -> Any:
    if dialect == POSTGRESQL:
        return text("SELECT v.object_id, v.version FROM unnest(CAST(:ids AS bigint[])) AS wanted(id) CROSS JOIN "
                    "LATERAL (SELECT object_id, version FROM intel_versions WHERE object_id = wanted.id OFFSET 0) v")
    v = intel_versions.c
    return select(v.object_id, v.version).where(one_of(dialect, v.object_id, "ids"))


@cache
def _supersede_statement(dialect: str) -> Any:
    v = intel_versions.c
    return update(intel_versions).where(and_(one_of(dialect, v.object_id, "ids"), v.is_latest.is_(True))).values(
        is_latest=False
    )


def insert_objects(conn: Connection, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert new objects in one statement; returns their ids by STIX id.

    Each row holds stix_id, stix_type, revoked, version, title, search_text, person_id, date_added,
    marking, source_ref and target_ref.
    """
    if not rows:
        return {}
    originator = rows[0]["marking"].originator
    assert all(r["marking"].originator == originator for r in rows), "one writer nation per batch"
    marked: dict[Marking, tuple[Any, ...]] = {}  # a feed's objects mostly share one marking
    values = []
    for r in rows:
        m = marked.get(r["marking"])
        if m is None:
            m = marked[r["marking"]] = tuple(marking_values(r["marking"]).values())
        values.append(
            (r["stix_id"], r["stix_type"], r["revoked"], r["version"], r["version"], r["title"][:300],
             r["search_text"], r["person_id"], r["date_added"], r["source_ref"], r["target_ref"], *m)
        )
    # A plain executemany, then the ids: SQLite would run INSERT … RETURNING row by row.
    if is_postgresql(conn):
        executemany(conn, intel_objects, _OBJECT_COLUMNS, values)
        return ids_by_stix_id(conn, originator, [r["stix_id"] for r in rows])
    new_ids = ids_of_insert(conn, intel_objects.c.id,
                            lambda: executemany(conn, intel_objects, _OBJECT_COLUMNS, values), len(rows))
    if new_ids is not None:
        ids = {r["stix_id"]: object_id for r, object_id in zip(rows, new_ids, strict=True)}
    else:  # pragma: no cover - not SQLite's documented behaviour
        ids = ids_by_stix_id(conn, originator, [r["stix_id"] for r in rows])
    return ids


_OBJECT_COLUMNS = (
    "stix_id", "stix_type", "revoked", "latest_version", "latest_modified", "title", "search_text",
    "created_by_person", "first_added", "source_ref", "target_ref",
    "m_level", "m_originator", "m_releasable_to", "m_tlp", "m_caveats",
)
_VERSION_COLUMNS = (
    "object_id", "stix_id", "stix_type", "originator", "version", "date_added", "spec_version", "is_latest", "raw",
)


def executemany(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    skip_existing: bool = False,
) -> None:
    """INSERT many rows given as tuples in `columns` order, straight to the driver.

    For the bulk paths of ingest: SQLAlchemy's per-row parameter processing costs more than the
    insert itself at a thousand rows. The statement is compiled by SQLAlchemy for the connection's
    dialect; the values must already be what the driver takes (str, int, bool, None).
    `skip_existing` adds ON CONFLICT DO NOTHING (rows that would violate a unique key are skipped).
    """
    if not rows:
        return
    if is_postgresql(conn):
        # One statement over one array per column: PostgreSQL plans and runs one INSERT for the whole
        # batch, where an executemany (pipelined) runs a thousand, each costing the server its own trip
        # through the executor.
        conn.exec_driver_sql(_unnest_insert(conn.dialect, table, tuple(columns), skip_existing),
                             tuple(list(column) for column in zip(*rows, strict=True)))
        return
    compiled = _insert_statement(conn.dialect, table, tuple(columns), skip_existing)
    if compiled.positiontup is not None:  # qmark / format: positional
        order = [columns.index(name) for name in compiled.positiontup]
        if order == list(range(len(columns))):
            conn.exec_driver_sql(compiled.string, list(rows))
        else:
            conn.exec_driver_sql(compiled.string, [tuple(row[i] for i in order) for row in rows])
    else:  # named / pyformat
        conn.exec_driver_sql(compiled.string, [dict(zip(columns, row, strict=True)) for row in rows])


_COMPILED: dict[tuple[str, str, tuple[str, ...], bool], Any] = {}


@cache
def _unnest_insert(dialect: Any, table: Table, columns: tuple[str, ...], skip_existing: bool) -> str:
    """INSERT INTO table (columns) SELECT * FROM unnest(%s::type[], …): the rows as column arrays."""
    arrays = ", ".join(f"CAST(%s AS {table.c[name].type.compile(dialect=dialect)}[])" for name in columns)
    statement = f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"  # noqa: S608 (names from the Table, never input)
    return statement + (" ON CONFLICT DO NOTHING" if skip_existing else "")


def _insert_statement(dialect: Any, table: Table, columns: tuple[str, ...], skip_existing: bool) -> Any:
    key = (dialect.name, table.name, columns, skip_existing)
    compiled = _COMPILED.get(key)
    if compiled is None:
        statement: Any = insert(table)
        if skip_existing:
            statement = insert_or_ignore(dialect.name, table)
        compiled = _COMPILED[key] = statement.compile(dialect=dialect, column_keys=list(columns))
    return compiled


def ids_by_stix_id(conn: Connection, originator: str, stix_ids: Sequence[str]) -> dict[str, int]:
    """The storage ids of the originator's objects with these STIX ids."""
    dialect = conn.dialect.name
    rows = conn.execute(_ids_query(dialect), {"originator": originator, "ids": many(dialect, stix_ids)})
    return {stix_id: int(row_id) for stix_id, row_id in rows}


def update_object(conn: Connection, object_id: int, **values: Any) -> None:
    if "marking" in values:
        values.update(marking_values(values.pop("marking")))
    if "title" in values:
        values["title"] = values["title"][:300]
    conn.execute(update(intel_objects).where(intel_objects.c.id == object_id).values(**values))


def insert_versions(
    conn: Connection, versions: Sequence[NewVersion], latest: dict[int, str], superseded: Sequence[int] = ()
) -> None:
    """Add versions. `latest` maps each touched object to its newest version key after the insert;
    `superseded` lists existing objects whose newest version is among the new ones."""
    if not versions:
        return
    if superseded:
        conn.execute(_supersede_statement(conn.dialect.name), {"ids": many(conn.dialect.name, superseded)})
    executemany(
        conn,
        intel_versions,
        _VERSION_COLUMNS,
        [
            (v.object_id, v.stix_id, v.stix_type, v.originator, v.version, v.date_added, "2.1",
             latest.get(v.object_id) == v.version, v.raw)
            for v in versions
        ],
    )


def marking_definitions(conn: Connection, ids: Iterable[str]) -> dict[str, str]:
    """Raw text of stored marking definitions by STIX id (any originator: reading what a marking means
    is not disclosure of the marked object)."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    query = (
        select(intel_versions.c.stix_id, intel_versions.c.raw)
        .where(and_(intel_versions.c.stix_type == "marking-definition", intel_versions.c.stix_id.in_(wanted)))
        .order_by(intel_versions.c.id)
    )
    return {row.stix_id: row.raw for row in conn.execute(query)}


def save_status(
    conn: Connection,
    *,
    status_id: str,
    person_id: int,
    collection: str,
    request_timestamp: str,
    total: int,
    successes: list[dict[str, Any]],
    failures: list[dict[str, Any]],
) -> None:
    conn.execute(
        insert(intel_statuses),
        {
            "id": status_id,
            "person_id": person_id,
            "collection": collection,
            "request_timestamp": request_timestamp,
            "total": total,
            "successes": successes,
            "failures": failures,
        },
    )


def get_status(conn: Connection, status_id: str, person_id: int) -> dict[str, Any] | None:
    """A status resource, only for the person whose request it describes."""
    row = conn.execute(
        select(intel_statuses).where(and_(intel_statuses.c.id == status_id, intel_statuses.c.person_id == person_id))
    ).first()
    return dict(row._mapping) if row is not None else None


def delete_versions(conn: Connection, object_id: int, versions: Sequence[str] | None) -> int:
    """Delete some (or all) versions of an object; the object goes when its last version goes."""
    query = intel_versions.delete().where(intel_versions.c.object_id == object_id)
    if versions is not None:
        query = query.where(intel_versions.c.version.in_(list(versions)))
    deleted = conn.execute(query).rowcount or 0
    remaining = conn.execute(
        select(intel_versions.c.version)
        .where(intel_versions.c.object_id == object_id)
        .order_by(intel_versions.c.version.desc())
        .limit(1)
    ).scalar()
    if remaining is None:
        conn.execute(intel_objects.delete().where(intel_objects.c.id == object_id))
    else:
        conn.execute(
            update(intel_versions)
            .where(and_(intel_versions.c.object_id == object_id, intel_versions.c.version == remaining))
            .values(is_latest=True)
        )
        conn.execute(update(intel_objects).where(intel_objects.c.id == object_id).values(latest_version=remaining))
    return int(deleted)
