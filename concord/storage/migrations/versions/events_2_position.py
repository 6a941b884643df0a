"""The event log's position: the order readers see, given after commit instead of under a lock.

Each event gets a `position` when it is ordered (on SQLite in its own transaction, where the write
lock already orders writers; on PostgreSQL right after commit, by `storage.event_order`). Readers
resume with `position > N`; `id` stays the row's key. Existing events keep their order: position = id.

Revision ID: events_2
"""

import sqlalchemy as sa
from alembic import op

revision = "events_2"
down_revision = "ids_64"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("position", sa.BigInteger(), nullable=True))
    op.execute("UPDATE events SET position = id")
    op.create_index("ix_events_position", "events", ["position"], unique=True)
    # What is still to be ordered: a handful of rows at any moment, found without a scan.
    op.create_index("ix_events_unordered", "events", ["id"], sqlite_where=sa.text("position IS NULL"),
                    postgresql_where=sa.text("position IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_events_unordered", table_name="events")
    op.drop_index("ix_events_position", table_name="events")
    op.drop_column("events", "position")
