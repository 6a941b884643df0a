"""Audit log: entries (Merkle leaves), complete-subtree hashes, checkpoints, cosignatures, witnesses.

Revision ID: 0007_audit
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_audit"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("seq", BigId, primary_key=True, autoincrement=False),
        sa.Column("time", sa.String(32), nullable=False),
        sa.Column("actor_person", sa.Integer, nullable=True),
        sa.Column("actor_nation", sa.String(3), nullable=True),
        sa.Column("action", sa.String(200), nullable=False),
        sa.Column("item_type", sa.String(200), nullable=False),
        sa.Column("item_id", sa.String(200), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(200), nullable=True),
        sa.Column("nonce", sa.String(32), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("event_id", sa.BigInteger, nullable=True),
        sa.Column("m_level", sa.SmallInteger, nullable=False),
        sa.Column("m_originator", sa.String(3), nullable=False),
        sa.Column("m_releasable_to", sa.String(400), nullable=False),
        sa.Column("m_tlp", sa.String(16), nullable=False),
        sa.Column("m_caveats", sa.String(100), nullable=False),
    )
    op.create_table(
        "audit_nodes",
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("idx", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name="pk_audit_nodes"),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("size", BigId, primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("proof", sa.Text, nullable=False),
    )
    op.create_table(
        "audit_cosignatures",
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("nation", sa.String(3), nullable=False),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("signed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("size", "nation", name="pk_audit_cosignatures"),
    )
    op.create_table(
        "audit_witnesses",
        sa.Column("nation", sa.String(3), primary_key=True),
        sa.Column("vkey", sa.Text, nullable=False),
        sa.Column("registered_at", TS, nullable=False),
        sa.Column("registered_by", sa.Integer, nullable=True),
    )


def downgrade() -> None:
    for table in ("audit_witnesses", "audit_cosignatures", "audit_checkpoints", "audit_nodes", "audit_entries"):
        op.drop_table(table)
