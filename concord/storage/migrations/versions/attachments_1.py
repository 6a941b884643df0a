"""Message attachments: the bytes of each attached file, beside its message.

Revision ID: attachments_1
"""

import sqlalchemy as sa
from alembic import op

revision = "attachments_1"
# Needs the messages table (realtime), which itself branches off the foundation.
down_revision = "0004_realtime"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "message_attachments",
        sa.Column("message_id", BigId, sa.ForeignKey("messages.id"), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("message_attachments")
