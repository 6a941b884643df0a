"""Unilateral national activities notified for deconfliction. Reads filter by `visible_to` in SQL."""

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
from concord.domain.activities import ActivitySpec, ActivityStatus
from concord.domain.geo import to_geojson
from concord.domain.markings import Reader
from concord.domain.operations import AltitudeBand, Window
from concord.storage.dialect import for_update
from concord.storage.policy import marking_from_row, marking_values, visible_to
from concord.storage.schema import TS, BigId, marking_columns, metadata

national_activities = Table(
    "national_activities",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("nation", String(3), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("area", JSON, nullable=False),
    Column("area_wkb", LargeBinary, nullable=False),
    Column("starts_at", TS, nullable=False),
    Column("ends_at", TS, nullable=False),
    Column("altitude_low_m", Float, nullable=True),
    Column("altitude_high_m", Float, nullable=True),
    Column("status", String(16), nullable=False),
    Column("created_by", Integer, nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    *marking_columns(),
)


@dataclass(frozen=True, slots=True)
class ActivityRow:
    id: int
    spec: ActivitySpec
    status: ActivityStatus
    created_by: int | None
    updated_at: datetime


def _values(spec: ActivitySpec) -> dict[str, Any]:
    return {
        "nation": spec.nation,
        "name": spec.name,
        "description": spec.description,
        "area": to_geojson(spec.area),
        "area_wkb": shapely.to_wkb(spec.area),
        "starts_at": spec.window.starts_at,
        "ends_at": spec.window.ends_at,
        "altitude_low_m": spec.altitude.low_m if spec.altitude else None,
        "altitude_high_m": spec.altitude.high_m if spec.altitude else None,
        **marking_values(spec.marking),
    }


def add_activity(conn: Connection, spec: ActivitySpec, *, by: int, at: datetime) -> int:
    values = _values(spec) | {"status": ActivityStatus.NOTIFIED.value, "created_by": by, "created_at": at,
                              "updated_at": at}
    return int(conn.execute(insert(national_activities).values(**values).returning(national_activities.c.id))
               .scalar_one())


def save_activity(conn: Connection, activity_id: int, spec: ActivitySpec, at: datetime) -> None:
    conn.execute(update(national_activities).where(national_activities.c.id == activity_id)
                 .values(**_values(spec), updated_at=at))


def set_status(conn: Connection, activity_id: int, status: ActivityStatus, at: datetime) -> None:
    conn.execute(update(national_activities).where(national_activities.c.id == activity_id)
                 .values(status=status.value, updated_at=at))


def _row(row: Any) -> ActivityRow:
    m = row._mapping
    band = AltitudeBand(m["altitude_low_m"], m["altitude_high_m"]) if m["altitude_low_m"] is not None else None
    spec = ActivitySpec(m["nation"], m["name"], m["description"], marking_from_row(m),
                        shapely.from_wkb(m["area_wkb"]), Window(utc(m["starts_at"]), utc(m["ends_at"])), band)
    return ActivityRow(m["id"], spec, ActivityStatus(m["status"]), m["created_by"], utc(m["updated_at"]))


def get_visible(conn: Connection, reader: Reader, activity_id: int, *,
                lock: bool = False) -> ActivityRow | None:
    """The row if `reader` may see it; with `lock`, locked until commit (a writer deciding on its status)."""
    query = select(national_activities).where(national_activities.c.id == activity_id,
                                              visible_to(national_activities, reader))
    row = conn.execute(for_update(conn, query) if lock else query).first()
    return _row(row) if row else None


def get_any(conn: Connection, activity_id: int) -> ActivityRow | None:
    """Unfiltered: for the engine only, never returned to a caller."""
    row = conn.execute(select(national_activities).where(national_activities.c.id == activity_id)).first()
    return _row(row) if row else None


def list_visible(conn: Connection, reader: Reader, *, limit: int = 200, offset: int = 0) -> list[ActivityRow]:
    query = (select(national_activities).where(visible_to(national_activities, reader))
             .order_by(national_activities.c.starts_at, national_activities.c.id).limit(limit).offset(offset))
    return [_row(r) for r in conn.execute(query)]
