"""STIX objects and their versions, TAXII status resources and the paging key.

An *object* is one STIX id as published by one originator nation (two nations may hold the same
id: each holds its own copy, so nobody learns that another nation holds an id they cannot see).
Its marking — derived from its STIX markings or set by its originator — governs every version of
it, so narrowing release hides old versions too. A *version* is one `modified` of the object,
stored as the exact text that was sent, with the time it was added.

Ordering: versions are served in (date_added, id) order. Writers take `_INTEL_LOCK` (PostgreSQL; an
SQLite writer holds the database lock already) before reading the clock, so a version committed
later never sorts before one a reader has already paged past.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
    insert,
    select,
    text,
    update,
)

from concord.domain.markings import Marking
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
    Index("ix_intel_objects_source_ref", "source_ref"),
    Index("ix_intel_objects_target_ref", "target_ref"),
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
    Index("ix_intel_versions_stix_id", "stix_id"),
)

intel_statuses = Table(
    "intel_statuses",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("person_id", Integer, nullable=False),
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

# Any constant: one advisory lock key serialising intel writes on PostgreSQL (see module docstring).
_INTEL_LOCK = 7_340_003


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


def lock_for_writing(conn: Connection) -> None:
    """Serialise intel writers until commit (PostgreSQL; SQLite writers are serialised already)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _INTEL_LOCK})


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
    ids = list(set(stix_ids))
    found: dict[str, ObjectRow] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(intel_objects).where(
            and_(intel_objects.c.m_originator == originator, intel_objects.c.stix_id.in_(chunk))
        )
        for row in conn.execute(query):
            found[row.stix_id] = _object(row)
    return found


def existing_versions(conn: Connection, object_ids: Sequence[int]) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    for start in range(0, len(object_ids), 500):
        chunk = list(object_ids[start : start + 500])
        query = select(intel_versions.c.object_id, intel_versions.c.version).where(
            intel_versions.c.object_id.in_(chunk)
        )
        found.update((r.object_id, r.version) for r in conn.execute(query))
    return found


def insert_objects(conn: Connection, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert new objects in one statement; returns their ids by STIX id.

    Each row holds stix_id, stix_type, revoked, version, title, search_text, person_id, date_added,
    marking, source_ref and target_ref.
    """
    if not rows:
        return {}
    values = [
        {
            "stix_id": r["stix_id"],
            "stix_type": r["stix_type"],
            "revoked": r["revoked"],
            "latest_version": r["version"],
            "latest_modified": r["version"],
            "title": r["title"][:300],
            "search_text": r["search_text"],
            "created_by_person": r["person_id"],
            "first_added": r["date_added"],
            "source_ref": r["source_ref"],
            "target_ref": r["target_ref"],
            **marking_values(r["marking"]),
        }
        for r in rows
    ]
    # A plain executemany, then the ids read back: SQLite would run INSERT … RETURNING row by row.
    conn.execute(insert(intel_objects), values)
    originator = values[0]["m_originator"]
    assert all(v["m_originator"] == originator for v in values), "one writer nation per batch"
    return {
        stix_id: row.id for stix_id, row in objects_by_stix_id(conn, originator, [v["stix_id"] for v in values]).items()
    }


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
    for start in range(0, len(superseded), 500):
        chunk = list(superseded[start : start + 500])
        conn.execute(
            update(intel_versions)
            .where(and_(intel_versions.c.object_id.in_(chunk), intel_versions.c.is_latest.is_(True)))
            .values(is_latest=False)
        )
    conn.execute(
        insert(intel_versions),
        [
            {
                "object_id": v.object_id,
                "stix_id": v.stix_id,
                "stix_type": v.stix_type,
                "originator": v.originator,
                "version": v.version,
                "date_added": v.date_added,
                "spec_version": "2.1",
                "raw": v.raw,
                "is_latest": latest.get(v.object_id) == v.version,
            }
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
