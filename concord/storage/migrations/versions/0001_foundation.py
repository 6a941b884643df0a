"""Foundation: nations, people, appointments, sessions, sign-in attempts, the event log.

Revision ID: 0001_foundation
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001_foundation"
down_revision = None
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
        "nations",
        sa.Column("code", sa.String(3), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("joined_at", TS, nullable=False),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(63), nullable=False, unique=True),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("nation", sa.String(3), sa.ForeignKey("nations.code"), nullable=False, index=True),
        sa.Column("clearance", sa.SmallInteger, nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("totp_secret", sa.String(64), nullable=True),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False, index=True),
        sa.Column("nation", sa.String(3), sa.ForeignKey("nations.code"), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=True),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("people.id"), nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("csrf_hash", sa.String(64), nullable=False),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False, index=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("client_address", sa.String(64), nullable=True),
    )
    op.create_table(
        "sign_in_attempts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(63), nullable=False),
        sa.Column("client_address", sa.String(64), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("succeeded", sa.Boolean, nullable=False),
    )
    op.create_index("ix_sign_in_attempts_username_at", "sign_in_attempts", ["username", "at"])
    op.create_index("ix_sign_in_attempts_client_address_at", "sign_in_attempts", ["client_address", "at"])
    op.create_table(
        "events",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("item_type", sa.String(40), nullable=False),
        sa.Column("item_id", sa.String(160), nullable=False),
        sa.Column("actor_id", sa.Integer, nullable=True),
        sa.Column("actor_nation", sa.String(3), nullable=True),
        sa.Column("recipient_id", sa.Integer, nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
        *marking(),
    )
    op.create_index("ix_events_item", "events", ["item_type", "item_id"])


def downgrade() -> None:
    for table in ("events", "sign_in_attempts", "sessions", "appointments", "people", "nations"):
        op.drop_table(table)
