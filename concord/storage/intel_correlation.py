"""The correlation index: which objects hold which observable value, and the correlations found.

The index stores a 64-bit digest of each value, never the value itself (the value is in the object's
text), in one clustered B-tree keyed (digest, object): about 20 bytes an entry on SQLite, so the
index stays within a small multiple of the values it indexes. A value already held by `cap`
objects gets no more entries — it no longer correlates (too common to mean anything) and cannot
grow the index further. A digest collision can only propose a correlation; the service confirms it
against the values of both objects before recording anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    String,
    Table,
    and_,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.sql import alias

from concord.domain.markings import Reader
from concord.storage.dialect import ids_of_insert, is_postgresql, many, one_of
from concord.storage.intel import executemany, intel_objects, intel_versions
from concord.storage.policy import visible_to
from concord.storage.schema import TS, BigId, metadata

intel_observables = Table(
    "intel_observables",
    metadata,
    Column("digest", BigInteger, nullable=False),
    Column("object_id", BigInteger, nullable=False),
    PrimaryKeyConstraint("digest", "object_id", name="pk_intel_observables"),
    sqlite_with_rowid=False,
)

intel_correlations = Table(
    "intel_correlations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(8), nullable=False),
    Column("value", String(2048), nullable=False),
    # object_a is the one that arrived later and made the match
    Column("object_a", BigInteger, ForeignKey("intel_objects.id", ondelete="CASCADE"), nullable=False),
    Column("object_b", BigInteger, ForeignKey("intel_objects.id", ondelete="CASCADE"), nullable=False),
    Column("at", TS, nullable=False),
    Index("ix_intel_correlations_a", "object_a"),
    Index("ix_intel_correlations_b", "object_b"),
)


@dataclass(frozen=True, slots=True)
class Holder:
    object_id: int
    originator: str


def holders(conn: Connection, digests: Iterable[int]) -> dict[int, list[Holder]]:
    """Objects (with their originator) holding each of these digests that any object holds."""
    wanted = set(digests)
    found: dict[int, list[Holder]] = {}
    if not wanted:
        return found
    dialect = conn.dialect.name
    for digest_value, object_id, originator in conn.execute(_holders_query(dialect), {"ids": many(dialect, wanted)}):
        found.setdefault(int(digest_value), []).append(Holder(int(object_id), originator))
    return found


@cache
def _holders_query(dialect: str) -> Any:
    obs = intel_observables
    return (
        select(obs.c.digest, obs.c.object_id, intel_objects.c.m_originator)
        .select_from(obs.join(intel_objects, intel_objects.c.id == obs.c.object_id))
        .where(one_of(dialect, obs.c.digest, "ids"))
    )


def latest_of(conn: Connection, object_ids: Iterable[int]) -> Iterable[Any]:
    """Rows (id, stix_id, stix_type, title, the five marking columns, raw latest text) of those of
    these objects that are not revoked (revoked holders no longer correlate)."""
    dialect = conn.dialect.name
    return conn.execute(_latest_query(dialect), {"ids": many(dialect, object_ids)})


@cache
def _latest_query(dialect: str) -> Any:
    o = intel_objects.c
    return (
        select(o.id, o.stix_id, o.stix_type, o.title, o.m_level, o.m_originator, o.m_releasable_to, o.m_tlp,
               o.m_caveats, intel_versions.c.raw)
        .select_from(intel_objects.join(intel_versions, intel_versions.c.object_id == o.id))
        .where(and_(one_of(dialect, o.id, "ids"), intel_versions.c.is_latest.is_(True), o.revoked.is_(False)))
    )


def add_entries(conn: Connection, entries: Sequence[tuple[int, int]]) -> None:
    """Insert (digest, object id) pairs, ignoring ones already present."""
    executemany(conn, intel_observables, ("digest", "object_id"), entries, skip_existing=True)


def remove_object(conn: Connection, object_id: int, digests: Iterable[int]) -> None:
    wanted = list(set(digests))
    if wanted:
        conn.execute(
            intel_observables.delete().where(
                and_(intel_observables.c.object_id == object_id, intel_observables.c.digest.in_(wanted))
            )
        )


def record_many(conn: Connection, found: Sequence[tuple[str, str, int, int]], *, at: datetime) -> list[int]:
    """Record correlations (kind, value, object_a, object_b) in one statement; their ids, in order."""
    if not found:
        return []
    c = intel_correlations
    if not is_postgresql(conn):
        stamp = c.c.at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        when = stamp(at) if stamp else at
        columns = ("kind", "value", "object_a", "object_b", "at")
        ids = ids_of_insert(conn, c.c.id, lambda: executemany(conn, c, columns, [(*r, when) for r in found]),
                            len(found))
        if ids is None:  # pragma: no cover - not SQLite's behaviour
            raise RuntimeError("correlation ids were not allocated in order")
        return ids
    rows = [{"kind": k, "value": v, "object_a": a, "object_b": b, "at": at} for k, v, a, b in found]
    # SQLAlchemy batches this into multi-row INSERT … RETURNING statements, ids in parameter order.
    result = conn.execute(insert(c).returning(c.c.id, sort_by_parameter_order=True), rows)
    return [int(i) for i in result.scalars()]


def record(conn: Connection, *, kind: str, value: str, object_a: int, object_b: int, at: datetime) -> int:
    return int(
        conn.execute(
            insert(intel_correlations).returning(intel_correlations.c.id),
            {
                "kind": kind,
                "value": value,
                "object_a": object_a,
                "object_b": object_b,
                "at": at,
            },
        ).scalar_one()
    )


@dataclass(frozen=True, slots=True)
class CorrelationRow:
    id: int
    kind: str
    value: str
    object_a: int
    object_b: int
    at: datetime


def correlations_of(
    conn: Connection, reader: Reader, object_id: int | None = None, limit: int = 200
) -> list[CorrelationRow]:
    """Correlations whose two objects the reader may both see (optionally those of one object)."""
    a = alias(intel_objects, "a")
    b = alias(intel_objects, "b")
    c = intel_correlations
    query = (
        select(c)
        .select_from(c.join(a, a.c.id == c.c.object_a).join(b, b.c.id == c.c.object_b))
        .where(visible_to(a, reader), visible_to(b, reader))
        .order_by(c.c.id.desc())
        .limit(limit)
    )
    if object_id is not None:
        query = query.where(or_(c.c.object_a == object_id, c.c.object_b == object_id))
    return [CorrelationRow(r.id, r.kind, r.value, r.object_a, r.object_b, r.at) for r in conn.execute(query)]


def entry_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(intel_observables)).scalar_one())
