"""Conflicts, their steps and overrides.

A conflict has no marking of its own: who may see it follows from its two sides. The reader's view
is decided in SQL — each side is tested with `visible_to` on its own table inside the query — and a
row comes back only if the reader may see at least one side, with a flag per side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shapely
from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    exists,
    insert,
    or_,
    select,
    update,
)

from concord.clock import utc
from concord.domain.conflicts import Concern, Conflict, ConflictStatus, Override
from concord.domain.geo import to_geojson
from concord.domain.markings import Marking, Reader
from concord.storage.activities import national_activities
from concord.storage.dialect import Lock, hold, hold_keys, hold_shared
from concord.storage.operations import operations
from concord.storage.policy import marking_from_row, visible_to
from concord.storage.schema import TS, BigId, metadata
from concord.storage.sites import protected_sites

conflicts = Table(
    "conflicts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("a_kind", String(16), nullable=False),
    Column("a_id", BigId, nullable=False),
    Column("b_kind", String(16), nullable=False),
    Column("b_id", BigId, nullable=False),
    Column("status", String(16), nullable=False),
    Column("overlap", JSON, nullable=False),
    Column("area_m2", Float, nullable=False),
    Column("starts_at", TS, nullable=True),
    Column("ends_at", TS, nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index("ix_conflicts_a", "a_kind", "a_id"),
    Index("ix_conflicts_b", "b_kind", "b_id"),
)

conflict_steps = Table(
    "conflict_steps",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("conflict_id", BigId, ForeignKey("conflicts.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("person_id", BigId, nullable=True),  # None: the centre itself (e.g. no longer overlapping)
    Column("nation", String(3), nullable=True),
    Column("note", Text, nullable=False),
    Column("at", TS, nullable=False),
)

conflict_overrides = Table(
    "conflict_overrides",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("conflict_id", BigId, ForeignKey("conflicts.id"), nullable=False, index=True),
    Column("operation_id", BigId, nullable=False),
    Column("version", Integer, nullable=False),
    Column("person_id", BigId, nullable=False),
    Column("nation", String(3), nullable=False),
    Column("justification", Text, nullable=False),
    Column("at", TS, nullable=False),
)

SIDE_TABLES: dict[str, Table] = {"operation": operations, "activity": national_activities, "site": protected_sites}


@dataclass(frozen=True, slots=True)
class ConflictView:
    conflict: Conflict
    a_visible: bool
    b_visible: bool
    created_at: datetime
    updated_at: datetime


def split_key(key: str) -> tuple[str, int]:
    kind, _, ident = key.partition(":")
    return kind, int(ident)


def _side_visible(kind: ColumnElement[Any], ident: ColumnElement[Any], reader: Reader) -> ColumnElement[bool]:
    return or_(*[
        and_(kind == name, exists(select(table.c.id).where(table.c.id == ident, visible_to(table, reader))))
        for name, table in SIDE_TABLES.items()
    ])


def _overrides(conn: Connection, conflict_ids: list[int]) -> dict[int, list[Override]]:
    out: dict[int, list[Override]] = {i: [] for i in conflict_ids}
    if not conflict_ids:
        return out
    rows = conn.execute(select(conflict_overrides).where(conflict_overrides.c.conflict_id.in_(conflict_ids))
                        .order_by(conflict_overrides.c.id))
    for r in rows:
        out[r.conflict_id].append(Override(f"operation:{r.operation_id}", r.version, r.person_id, r.nation,
                                           r.justification, utc(r.at)))
    return out


def _conflict(m: Any, overrides: list[Override]) -> Conflict:
    return Conflict(m["id"], f"{m['a_kind']}:{m['a_id']}", f"{m['b_kind']}:{m['b_id']}",
                    ConflictStatus(m["status"]), shapely.geometry.shape(m["overlap"]), m["area_m2"],
                    utc(m["starts_at"]) if m["starts_at"] is not None else None,
                    utc(m["ends_at"]) if m["ends_at"] is not None else None, tuple(overrides))


def _involving(key: str) -> ColumnElement[bool]:
    kind, ident = split_key(key)
    return or_(and_(conflicts.c.a_kind == kind, conflicts.c.a_id == ident),
               and_(conflicts.c.b_kind == kind, conflicts.c.b_id == ident))


def for_reader(conn: Connection, reader: Reader, *, conflict_id: int | None = None, involving: str | None = None,
               status: ConflictStatus | None = None, limit: int = 500) -> list[ConflictView]:
    """Conflicts the reader may see at least one side of, with which sides they may see."""
    a_visible = _side_visible(conflicts.c.a_kind, conflicts.c.a_id, reader).label("a_visible")
    b_visible = _side_visible(conflicts.c.b_kind, conflicts.c.b_id, reader).label("b_visible")
    query = select(conflicts, a_visible, b_visible).where(
        or_(_side_visible(conflicts.c.a_kind, conflicts.c.a_id, reader),
            _side_visible(conflicts.c.b_kind, conflicts.c.b_id, reader)))
    if conflict_id is not None:
        query = query.where(conflicts.c.id == conflict_id)
    if involving is not None:
        query = query.where(_involving(involving))
    if status is not None:
        query = query.where(conflicts.c.status == status.value)
    rows = [r._mapping for r in conn.execute(query.order_by(conflicts.c.id.desc()).limit(limit))]
    overrides = _overrides(conn, [m["id"] for m in rows])
    return [ConflictView(_conflict(m, overrides[m["id"]]), bool(m["a_visible"]), bool(m["b_visible"]),
                         utc(m["created_at"]), utc(m["updated_at"])) for m in rows]


def unresolved_involving(conn: Connection, key: str) -> list[Conflict]:
    """Unfiltered: the service's own checks (approval blockers, reconciliation)."""
    query = select(conflicts).where(_involving(key), conflicts.c.status != ConflictStatus.RESOLVED.value)
    rows = [r._mapping for r in conn.execute(query.order_by(conflicts.c.id))]
    overrides = _overrides(conn, [m["id"] for m in rows])
    return [_conflict(m, overrides[m["id"]]) for m in rows]


def add_conflict(conn: Connection, a_key: str, b_key: str, *, overlap: shapely.Geometry, area_m2: float,
                 starts_at: datetime | None, ends_at: datetime | None, at: datetime) -> int:
    (a_kind, a_id), (b_kind, b_id) = split_key(a_key), split_key(b_key)
    return int(conn.execute(insert(conflicts).values(
        a_kind=a_kind, a_id=a_id, b_kind=b_kind, b_id=b_id, status=ConflictStatus.OPEN.value,
        overlap=to_geojson(overlap), area_m2=area_m2, starts_at=starts_at, ends_at=ends_at, created_at=at,
        updated_at=at).returning(conflicts.c.id)).scalar_one())


def update_overlap(conn: Connection, conflict_id: int, *, overlap: shapely.Geometry, area_m2: float,
                   starts_at: datetime | None, ends_at: datetime | None, at: datetime) -> None:
    conn.execute(update(conflicts).where(conflicts.c.id == conflict_id).values(
        overlap=to_geojson(overlap), area_m2=area_m2, starts_at=starts_at, ends_at=ends_at, updated_at=at))


def add_step(conn: Connection, conflict_id: int, status: ConflictStatus, *, person_id: int | None,
             nation: str | None, note: str, at: datetime, conflict_status: ConflictStatus | None = None) -> None:
    """Record a step; the conflict takes `conflict_status` (by default the step's own status)."""
    new_status = (conflict_status or status).value
    conn.execute(update(conflicts).where(conflicts.c.id == conflict_id).values(status=new_status, updated_at=at))
    conn.execute(insert(conflict_steps).values(conflict_id=conflict_id, status=status.value, person_id=person_id,
                                               nation=nation, note=note, at=at))


def steps_of(conn: Connection, conflict_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(select(conflict_steps).where(conflict_steps.c.conflict_id == conflict_id)
                        .order_by(conflict_steps.c.id))
    return [{"status": r.status, "person_id": r.person_id, "nation": r.nation, "note": r.note, "at": utc(r.at)}
            for r in rows]


def resolved_by(conn: Connection, conflict_id: int) -> frozenset[str]:
    """The nations that have resolved the conflict for themselves (a person's step, not the centre's)."""
    rows = conn.execute(select(conflict_steps.c.nation).where(
        conflict_steps.c.conflict_id == conflict_id, conflict_steps.c.status == ConflictStatus.RESOLVED.value,
        conflict_steps.c.person_id.is_not(None), conflict_steps.c.nation.is_not(None)))
    return frozenset(str(r.nation) for r in rows)


def concern(conn: Connection, conflict: Conflict) -> Concern:
    """The nations whose item or participation is in the conflict, and each operation's current version
    (unfiltered: for the services' rules, never rendered to a reader who may not see a side)."""
    nations: set[str] = set()
    versions: dict[str, int] = {}
    for key in (conflict.a_key, conflict.b_key):
        kind, ident = split_key(key)
        if kind == "operation":
            row = conn.execute(select(operations.c.plan, operations.c.version, operations.c.m_originator)
                               .where(operations.c.id == ident)).one()
            nations.update(row.plan.get("participants", []))
            nations.add(row.m_originator)
            versions[key] = int(row.version)
        else:
            table = SIDE_TABLES[kind]
            nations.add(str(conn.execute(select(table.c.m_originator).where(table.c.id == ident)).scalar_one()))
    return Concern(frozenset(nations), versions)


def add_override(conn: Connection, conflict_id: int, override: Override) -> None:
    _, operation_id = split_key(override.operation_key)
    conn.execute(insert(conflict_overrides).values(
        conflict_id=conflict_id, operation_id=operation_id, version=override.version, person_id=override.person_id,
        nation=override.nation, justification=override.justification, at=override.at))


def side_name(conn: Connection, key: str) -> str:
    """The name of one side (call only for a side the reader may see: the caller checked)."""
    kind, ident = split_key(key)
    table = SIDE_TABLES[kind]
    return str(conn.execute(select(table.c.name).where(table.c.id == ident)).scalar_one())


def side_marking(conn: Connection, key: str) -> Marking:
    """The marking of one side: the marking of each event about the conflict sent to that side."""
    kind, ident = split_key(key)
    table = SIDE_TABLES[kind]
    row = conn.execute(select(table).where(table.c.id == ident)).one()
    return marking_from_row(dict(row._mapping))


def visible_keys(conn: Connection, reader: Reader, keys: list[str]) -> set[str]:
    """Which of `keys` (e.g. "operation:12") the reader may see, decided by `visible_to` in SQL."""
    by_kind: dict[str, list[int]] = {}
    for key in keys:
        kind, ident = split_key(key)
        by_kind.setdefault(kind, []).append(ident)
    out: set[str] = set()
    for kind, ids in by_kind.items():
        table = SIDE_TABLES[kind]
        rows = conn.execute(select(table.c.id).where(table.c.id.in_(ids), visible_to(table, reader)))
        out.update(f"{kind}:{r.id}" for r in rows)
    return out


def serialise_checks(conn: Connection, cells: Sequence[str] | None) -> None:
    """Until commit, let no other conflict-writing check whose zone shares one of `cells` run (see
    `services.deconfliction`); `cells` None: no other check at all (a zone too wide for cells).

    Every check holds the centre's lock, shared for a cell check, exclusive for a wide one, then its
    cells in one sorted order: checks far apart run side by side, and no two can deadlock."""
    if cells is None:
        hold(conn, Lock.DECONFLICTION)
        return
    hold_shared(conn, Lock.DECONFLICTION)
    hold_keys(conn, Lock.DECONFLICTION_CELL, cells)
