"""Durable positions of the followers of the event log (services/follow.py).

Revision ID: follow_1
"""

import sqlalchemy as sa
from alembic import op

revision = "follow_1"
down_revision = "ids_64"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follower_positions",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("follower_positions")
