"""Operations, their version history and the nations' decisions. Reads filter by `visible_to` in SQL."""

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
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    insert,
    select,
    update,
)

from concord.clock import utc
from concord.domain.markings import Reader
from concord.domain.operation_codec import plan_from_dict, plan_to_dict
from concord.domain.operation_lifecycle import Approval, Decision
from concord.domain.operations import Operation, OperationPlan, OperationStatus
from concord.storage.policy import marking_from_row, marking_values, visible_to
from concord.storage.schema import TS, BigId, marking_columns, metadata

operations = Table(
    "operations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("lead_nation", String(3), nullable=False),
    Column("participants", String(400), nullable=False),  # "|IRQ|TUR|"
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("starts_at", TS, nullable=False),
    Column("ends_at", TS, nullable=False),
    Column("altitude_low_m", Float, nullable=True),
    Column("altitude_high_m", Float, nullable=True),
    # WKB of the area: the index is rebuilt from it at start-up without parsing GeoJSON.
    Column("area_wkb", LargeBinary, nullable=False),
    Column("plan", JSON, nullable=False),
    Column("created_by", Integer, nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    *marking_columns(),
    Index("ix_operations_status", "status"),
)

operation_versions = Table(
    "operation_versions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("operation_id", BigId, ForeignKey("operations.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("plan", JSON, nullable=False),
    Column("created_by", Integer, nullable=True),
    Column("created_at", TS, nullable=False),
    UniqueConstraint("operation_id", "version", name="uq_operation_versions_operation_version"),
)

operation_approvals = Table(
    "operation_approvals",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("operation_id", BigId, ForeignKey("operations.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("nation", String(3), nullable=False),
    Column("person_id", BigId, nullable=False),
    Column("decision", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("at", TS, nullable=False),
)


@dataclass(frozen=True, slots=True)
class OperationRow:
    operation: Operation
    created_at: datetime
    updated_at: datetime


def _nations(codes: tuple[str, ...]) -> str:
    return "|" + "|".join(sorted(codes)) + "|"


def _plan_values(plan: OperationPlan) -> dict[str, Any]:
    return {
        "name": plan.name,
        "lead_nation": plan.lead_nation,
        "participants": _nations(plan.participants),
        "starts_at": plan.window.starts_at,
        "ends_at": plan.window.ends_at,
        "altitude_low_m": plan.altitude.low_m if plan.altitude else None,
        "altitude_high_m": plan.altitude.high_m if plan.altitude else None,
        "area_wkb": shapely.to_wkb(plan.area),
        "plan": plan_to_dict(plan),
        **marking_values(plan.marking),
    }


def add_operation(conn: Connection, plan: OperationPlan, *, created_by: int, at: datetime) -> int:
    values = _plan_values(plan) | {
        "status": OperationStatus.DRAFT.value,
        "version": 1,
        "created_by": created_by,
        "created_at": at,
        "updated_at": at,
    }
    return int(conn.execute(insert(operations).values(**values).returning(operations.c.id)).scalar_one())


def save_plan(
    conn: Connection, operation_id: int, plan: OperationPlan, *, status: OperationStatus, version: int, at: datetime
) -> None:
    values = _plan_values(plan) | {"status": status.value, "version": version, "updated_at": at}
    conn.execute(update(operations).where(operations.c.id == operation_id).values(**values))


def set_status(conn: Connection, operation_id: int, status: OperationStatus, at: datetime) -> None:
    conn.execute(update(operations).where(operations.c.id == operation_id).values(status=status.value, updated_at=at))


def add_version(conn: Connection, operation_id: int, version: int, plan: OperationPlan, by: int, at: datetime) -> None:
    conn.execute(
        insert(operation_versions).values(
            operation_id=operation_id, version=version, plan=plan_to_dict(plan), created_by=by, created_at=at
        )
    )


def _row(row: Any) -> OperationRow:
    m = row._mapping
    plan = plan_from_dict(m["plan"], marking_from_row(m))
    op = Operation(m["id"], plan, OperationStatus(m["status"]), m["version"], m["created_by"], utc(m["updated_at"]))
    return OperationRow(op, utc(m["created_at"]), utc(m["updated_at"]))


def get_visible(
    conn: Connection, reader: Reader, operation_id: int, *, for_update: bool = False
) -> OperationRow | None:
    query = select(operations).where(operations.c.id == operation_id, visible_to(operations, reader))
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    return _row(row) if row else None


def get_any(conn: Connection, operation_id: int) -> OperationRow | None:
    """Unfiltered: for the engine and for the service's internal checks, never returned to a caller."""
    row = conn.execute(select(operations).where(operations.c.id == operation_id)).first()
    return _row(row) if row else None


def list_visible(
    conn: Connection, reader: Reader, *, status: OperationStatus | None = None, limit: int = 200, offset: int = 0
) -> list[OperationRow]:
    query = select(operations).where(visible_to(operations, reader))
    if status is not None:
        query = query.where(operations.c.status == status.value)
    query = query.order_by(operations.c.starts_at, operations.c.id).limit(limit).offset(offset)
    return [_row(r) for r in conn.execute(query)]


def versions_of(conn: Connection, operation_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(operation_versions)
        .where(operation_versions.c.operation_id == operation_id)
        .order_by(operation_versions.c.version)
    )
    return [
        {"version": r.version, "plan": r.plan, "created_by": r.created_by, "created_at": utc(r.created_at)}
        for r in rows
    ]


def add_approval(conn: Connection, operation_id: int, approval: Approval) -> None:
    conn.execute(
        insert(operation_approvals).values(
            operation_id=operation_id,
            version=approval.version,
            nation=approval.nation,
            person_id=approval.person_id,
            decision=approval.decision.value,
            reason=approval.reason,
            at=approval.at,
        )
    )


def approvals_of(conn: Connection, operation_id: int) -> list[Approval]:
    rows = conn.execute(
        select(operation_approvals)
        .where(operation_approvals.c.operation_id == operation_id)
        .order_by(operation_approvals.c.at, operation_approvals.c.id)
    )
    return [Approval(r.nation, r.person_id, r.version, Decision(r.decision), r.reason, utc(r.at)) for r in rows]


def delete_operation(conn: Connection, operation_id: int) -> None:
    """Remove an operation with its versions and decisions: only a copy whose originator's node no longer
    releases it here (services/federation_feed.py); operations made here are cancelled, never deleted."""
    conn.execute(delete(operation_approvals).where(operation_approvals.c.operation_id == operation_id))
    conn.execute(delete(operation_versions).where(operation_versions.c.operation_id == operation_id))
    conn.execute(delete(operations).where(operations.c.id == operation_id))


def replace_approvals(conn: Connection, operation_id: int, nation: str, approvals: list[Approval]) -> bool:
    """Make `nation`'s decisions on the operation exactly `approvals` (a copy of what its node holds);
    True when that changed anything."""
    held = [a for a in approvals_of(conn, operation_id) if a.nation == nation]
    if [(a.version, a.decision, a.reason, a.at) for a in held] == \
            [(a.version, a.decision, a.reason, a.at) for a in approvals]:
        return False
    conn.execute(delete(operation_approvals).where(operation_approvals.c.operation_id == operation_id,
                                                   operation_approvals.c.nation == nation))
    for approval in approvals:
        add_approval(conn, operation_id, approval)
    return True
