"""Federation, second part: the node-to-node feed of the event log (issue 17).

- `peers.feed_position`: the position of the peer's event log this node has applied up to (saved in
  the transaction that applied the page, so a restart resumes exactly after it).
- `peer_items.origin_id`: the item's id on its originator's node, so a second receipt finds the copy.
- `feed_sent`: which of this node's items it has sent to which peer node (by node id), so that a narrowed or withdrawn
  item is removed there (and an item never sent is never named to it).
- `signed_approvals`: each approval a peer node carried here, with its node's signature.

Revision ID: federation_2
"""

import sqlalchemy as sa
from alembic import op

revision = "federation_2"
down_revision = "federation_1"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("peers") as batch:
        batch.add_column(sa.Column("feed_position", sa.BigInteger, nullable=True))
    with op.batch_alter_table("peer_items") as batch:
        batch.add_column(sa.Column("origin_id", sa.String(160), nullable=True))
    op.create_index("ix_peer_items_origin", "peer_items", ["origin_node", "item_type", "origin_id"], unique=True)
    op.create_table(
        "feed_sent",
        sa.Column("node_id", sa.String(32), primary_key=True),
        sa.Column("item_type", sa.String(40), primary_key=True),
        sa.Column("item_id", sa.String(160), primary_key=True),
    )
    op.create_table(
        "signed_approvals",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("operation_id", sa.BigInteger, nullable=False, index=True),
        sa.Column("nation", sa.String(3), nullable=False),
        sa.Column("origin_node", sa.String(32), nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
        sa.Column("signature", sa.String(100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("origin_node", "signature", name="uq_signed_approvals_signature"),
    )


def downgrade() -> None:
    op.drop_table("signed_approvals")
    op.drop_table("feed_sent")
    op.drop_index("ix_peer_items_origin", table_name="peer_items")
    with op.batch_alter_table("peer_items") as batch:
        batch.drop_column("origin_id")
    with op.batch_alter_table("peers") as batch:
        batch.drop_column("feed_position")
