"""Coordination: incidents and their timelines, incident categories, RFIs, joint public releases.

Revision ID: 0006_coordination
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006_coordination"
down_revision = "0001_foundation"
branch_labels = ("coordination",)
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
        "incidents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("reporter", sa.String(3), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("location", sa.JSON, nullable=False),
        sa.Column("anchor_lon", sa.Float, nullable=False),
        sa.Column("anchor_lat", sa.Float, nullable=False),
        sa.Column("occurred_from", TS, nullable=False),
        sa.Column("occurred_until", TS, nullable=True),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("partners", sa.String(400), nullable=False),
        sa.Column("links", sa.JSON, nullable=False),
        sa.Column("status", sa.String(24), nullable=False, index=True),
        sa.Column("acknowledged_by", sa.String(400), nullable=False),
        sa.Column("assignees", sa.JSON, nullable=False),
        sa.Column("closing_note", sa.Text, nullable=False),
        sa.Column("reported_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        *marking(),
    )
    op.create_table(
        "incident_timeline",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id"), nullable=False, index=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("nation", sa.String(3), nullable=False),
        sa.Column("person_id", sa.Integer, nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_table(
        "incident_categories",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("added_by", sa.String(3), nullable=False),
        sa.Column("added_at", TS, nullable=False),
    )
    op.create_table(
        "rfis",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("requester", sa.String(3), nullable=False, index=True),
        sa.Column("person_id", sa.Integer, nullable=True),
        sa.Column("recipients", sa.String(400), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("ltiov", TS, nullable=False),
        sa.Column("ceiling", sa.SmallInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("submitted_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("ended", sa.String(16), nullable=True),
        sa.Column("ended_at", TS, nullable=True),
        sa.Column("overdue_notified", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        *marking(),
    )
    op.create_table(
        "rfi_taskings",
        sa.Column("rfi_id", sa.Integer, sa.ForeignKey("rfis.id"), primary_key=True),
        sa.Column("nation", sa.String(3), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("responded_at", TS, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("first_answer_at", TS, nullable=True),
    )
    op.create_table(
        "rfi_answers",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("rfi_id", sa.Integer, sa.ForeignKey("rfis.id"), nullable=False, index=True),
        sa.Column("nation", sa.String(3), nullable=False),
        sa.Column("person_id", sa.Integer, nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        *marking(),
    )
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("proposer", sa.String(3), nullable=False),
        sa.Column("person_id", sa.Integer, nullable=True),
        sa.Column("concerned", sa.String(400), nullable=False),
        sa.Column("texts", sa.JSON, nullable=False),
        sa.Column("refs", sa.JSON, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(24), nullable=False, index=True),
        sa.Column("proposed_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("published_at", TS, nullable=True, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        *marking(),
    )
    op.create_table(
        "release_approvals",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("release_id", sa.Integer, sa.ForeignKey("releases.id"), nullable=False, index=True),
        sa.Column("nation", sa.String(3), nullable=False),
        sa.Column("person_id", sa.Integer, nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in ("release_approvals", "releases", "rfi_answers", "rfi_taskings", "rfis",
                  "incident_categories", "incident_timeline", "incidents"):
        op.drop_table(table)
