"""The centre's identity: the public half of each key, so every process uses the same keys.

Revision ID: identity_1
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_1"
down_revision = "ids_64"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "centre_identity",
        sa.Column("component", sa.String(64), primary_key=True),
        sa.Column("fingerprint", sa.String(255), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("centre_identity")
