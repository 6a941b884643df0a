"""Protected sites and humanitarian movements. Reads filter by `visible_to` in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shapely
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)

from concord.clock import utc
from concord.domain.geo import to_geojson
from concord.domain.markings import Reader
from concord.domain.operations import Window
from concord.domain.sites import SiteKind, SiteSpec, SiteStatus
from concord.storage.dialect import for_update
from concord.storage.policy import marking_from_row, marking_values, visible_to
from concord.storage.schema import TS, BigId, marking_columns, metadata

protected_sites = Table(
    "protected_sites",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("geometry", JSON, nullable=False),
    Column("geometry_wkb", LargeBinary, nullable=False),
    Column("buffer_m", Float, nullable=False),
    Column("starts_at", TS, nullable=True),
    Column("ends_at", TS, nullable=True),
    Column("notes", Text, nullable=False, default=""),
    Column("status", String(16), nullable=False),
    Column("added_by", Integer, nullable=True),
    Column("added_at", TS, nullable=False),
    Column("acknowledged_by", Integer, nullable=True),
    Column("acknowledged_at", TS, nullable=True),
    *marking_columns(),
    Index("ix_protected_sites_status", "status"),
)


@dataclass(frozen=True, slots=True)
class SiteRow:
    id: int
    spec: SiteSpec
    status: SiteStatus
    added_by: int | None
    added_at: datetime
    acknowledged_by: int | None
    acknowledged_at: datetime | None


def add_site(conn: Connection, spec: SiteSpec, *, by: int | None, at: datetime) -> int:
    values = {
        "kind": spec.kind.value,
        "name": spec.name,
        "geometry": to_geojson(spec.geometry),
        "geometry_wkb": shapely.to_wkb(spec.geometry),
        "buffer_m": spec.buffer_m,
        "starts_at": spec.window.starts_at if spec.window else None,
        "ends_at": spec.window.ends_at if spec.window else None,
        "notes": spec.notes,
        "status": SiteStatus.NOTIFIED.value,
        "added_by": by,
        "added_at": at,
        **marking_values(spec.marking),
    }
    return int(conn.execute(insert(protected_sites).values(**values).returning(protected_sites.c.id)).scalar_one())


def _row(row: Any) -> SiteRow:
    m = row._mapping
    window = Window(utc(m["starts_at"]), utc(m["ends_at"])) if m["starts_at"] is not None else None
    spec = SiteSpec(SiteKind(m["kind"]), m["name"], shapely.from_wkb(m["geometry_wkb"]), m["buffer_m"],
                    marking_from_row(m), window, m["notes"])
    return SiteRow(m["id"], spec, SiteStatus(m["status"]), m["added_by"], utc(m["added_at"]), m["acknowledged_by"],
                   utc(m["acknowledged_at"]) if m["acknowledged_at"] is not None else None)


def get_visible(conn: Connection, reader: Reader, site_id: int, *,
                lock: bool = False) -> SiteRow | None:
    """The row if `reader` may see it; with `lock`, locked until commit (a writer deciding on its status)."""
    query = select(protected_sites).where(protected_sites.c.id == site_id, visible_to(protected_sites, reader))
    row = conn.execute(for_update(conn, query) if lock else query).first()
    return _row(row) if row else None


def get_any(conn: Connection, site_id: int) -> SiteRow | None:
    """Unfiltered: for the engine only, never returned to a caller."""
    row = conn.execute(select(protected_sites).where(protected_sites.c.id == site_id)).first()
    return _row(row) if row else None


def list_visible(conn: Connection, reader: Reader, *, kind: SiteKind | None = None, include_retired: bool = False,
                 limit: int = 500, offset: int = 0) -> list[SiteRow]:
    query = select(protected_sites).where(visible_to(protected_sites, reader))
    if kind is not None:
        query = query.where(protected_sites.c.kind == kind.value)
    if not include_retired:
        query = query.where(protected_sites.c.status != SiteStatus.RETIRED.value)
    return [_row(r) for r in conn.execute(query.order_by(protected_sites.c.id).limit(limit).offset(offset))]


def set_status(conn: Connection, site_id: int, status: SiteStatus, *, by: int | None = None,
               at: datetime | None = None) -> None:
    values: dict[str, Any] = {"status": status.value}
    if status == SiteStatus.ACKNOWLEDGED:
        values |= {"acknowledged_by": by, "acknowledged_at": at}
    conn.execute(update(protected_sites).where(protected_sites.c.id == site_id).values(**values))
