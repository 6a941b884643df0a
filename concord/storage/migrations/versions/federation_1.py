"""Federation: peer nodes, the pull cursor and link state of each, and the items received from them.

Revision ID: federation_1
"""

import sqlalchemy as sa
from alembic import op

revision = "federation_1"
down_revision = "ids_64"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "peers",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(63), nullable=False, unique=True),
        sa.Column("nation", sa.String(3), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("node_key", sa.LargeBinary(32), nullable=False, unique=True),
        sa.Column("node_id", sa.String(32), nullable=False, unique=True),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.BigInteger, nullable=True),
        sa.Column("pulled_until", sa.String(31), nullable=True),
        sa.Column("pulled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received", sa.BigInteger, nullable=False),
        sa.Column("refused", sa.BigInteger, nullable=False),
        sa.Column("last_refusal", sa.Text, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "peer_items",
        sa.Column("item_type", sa.String(40), primary_key=True),
        sa.Column("item_id", sa.BigInteger, primary_key=True),
        sa.Column("peer_id", BigId, sa.ForeignKey("peers.id", ondelete="SET NULL"), nullable=True),
        sa.Column("origin_node", sa.String(32), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_peer_items_peer_id", "peer_items", ["peer_id"])


def downgrade() -> None:
    op.drop_table("peer_items")
    op.drop_table("peers")
