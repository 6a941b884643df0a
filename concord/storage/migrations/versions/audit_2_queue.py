"""The audit log's queue: leaves waiting for the sequencer (PostgreSQL; SQLite appends in place).

Revision ID: audit_2
"""

import sqlalchemy as sa
from alembic import op

revision = "audit_2"
down_revision = "ids_64"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_pending",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("time", sa.String(32), nullable=False),
        sa.Column("actor_person", sa.Integer(), nullable=True),
        sa.Column("actor_nation", sa.String(3), nullable=True),
        sa.Column("action", sa.String(200), nullable=False),
        sa.Column("item_type", sa.String(200), nullable=False),
        sa.Column("item_id", sa.String(200), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(200), nullable=True),
        sa.Column("nonce", sa.String(32), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("m_level", sa.SmallInteger(), nullable=False),
        sa.Column("m_originator", sa.String(3), nullable=False),
        sa.Column("m_releasable_to", sa.String(400), nullable=False),
        sa.Column("m_tlp", sa.String(16), nullable=False),
        sa.Column("m_caveats", sa.String(100), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_pending")
