"""Joint operations, approvals, national activities, protected sites and conflicts (issue 5).

Revision ID: ops_0001
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "ops_0001"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def marking() -> list[sa.Column[Any]]:
    return [
        sa.Column("m_level", sa.SmallInteger, nullable=False),
        sa.Column("m_originator", sa.String(3), nullable=False),
        sa.Column("m_releasable_to", sa.String(400), nullable=False),
        sa.Column("m_tlp", sa.String(16), nullable=False),
        sa.Column("m_caveats", sa.String(100), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "operations",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("lead_nation", sa.String(3), nullable=False),
        sa.Column("participants", sa.String(400), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("altitude_low_m", sa.Float, nullable=True),
        sa.Column("altitude_high_m", sa.Float, nullable=True),
        sa.Column("area_wkb", sa.LargeBinary, nullable=False),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("created_by", sa.Integer, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        *marking(),
    )
    op.create_index("ix_operations_status", "operations", ["status"])
    op.create_table(
        "operation_versions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("operation_id", sa.Integer, sa.ForeignKey("operations.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("created_by", sa.Integer, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("operation_id", "version", name="uq_operation_versions_operation_version"),
    )
    op.create_table(
        "operation_approvals",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("operation_id", sa.Integer, sa.ForeignKey("operations.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("nation", sa.String(3), nullable=False),
        sa.Column("person_id", sa.Integer, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_operation_approvals_operation_id", "operation_approvals", ["operation_id"])
    op.create_table(
        "national_activities",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("nation", sa.String(3), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("area", sa.JSON, nullable=False),
        sa.Column("area_wkb", sa.LargeBinary, nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("altitude_low_m", sa.Float, nullable=True),
        sa.Column("altitude_high_m", sa.Float, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.Integer, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        *marking(),
    )
    op.create_table(
        "protected_sites",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("geometry", sa.JSON, nullable=False),
        sa.Column("geometry_wkb", sa.LargeBinary, nullable=False),
        sa.Column("buffer_m", sa.Float, nullable=False),
        sa.Column("starts_at", TS, nullable=True),
        sa.Column("ends_at", TS, nullable=True),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("added_by", sa.Integer, nullable=True),
        sa.Column("added_at", TS, nullable=False),
        sa.Column("acknowledged_by", sa.Integer, nullable=True),
        sa.Column("acknowledged_at", TS, nullable=True),
        *marking(),
    )
    op.create_index("ix_protected_sites_status", "protected_sites", ["status"])
    op.create_table(
        "conflicts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("a_kind", sa.String(16), nullable=False),
        sa.Column("a_id", sa.Integer, nullable=False),
        sa.Column("b_kind", sa.String(16), nullable=False),
        sa.Column("b_id", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("overlap", sa.JSON, nullable=False),
        sa.Column("area_m2", sa.Float, nullable=False),
        sa.Column("starts_at", TS, nullable=True),
        sa.Column("ends_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_conflicts_a", "conflicts", ["a_kind", "a_id"])
    op.create_index("ix_conflicts_b", "conflicts", ["b_kind", "b_id"])
    op.create_table(
        "conflict_steps",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("conflict_id", sa.Integer, sa.ForeignKey("conflicts.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("person_id", sa.Integer, nullable=True),
        sa.Column("nation", sa.String(3), nullable=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_conflict_steps_conflict_id", "conflict_steps", ["conflict_id"])
    op.create_table(
        "conflict_overrides",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("conflict_id", sa.Integer, sa.ForeignKey("conflicts.id"), nullable=False),
        sa.Column("operation_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("person_id", sa.Integer, nullable=False),
        sa.Column("nation", sa.String(3), nullable=False),
        sa.Column("justification", sa.Text, nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("ix_conflict_overrides_conflict_id", "conflict_overrides", ["conflict_id"])


def downgrade() -> None:
    for table in ("conflict_overrides", "conflict_steps", "conflicts", "protected_sites", "national_activities",
                  "operation_approvals", "operation_versions", "operations"):
        op.drop_table(table)
