"""Every id column holds 64 bits on PostgreSQL, as it always has on SQLite.

The first tables (people, appointments, sessions, channels, incidents, RFIs, releases) and the
columns that refer to them were created as 32-bit `integer` on PostgreSQL, so an id that any route
accepts (up to 2**63-1) could not even be compared with them ("integer out of range") while SQLite
answered "not found". Widening them makes both stores give the same answer.

Revision ID: ids_64
"""

import sqlalchemy as sa
from alembic import op

revision = "ids_64"
down_revision = ("0006_coordination", "0007_audit", "attachments_1", "cot_tracks", "intel_3", "ops_0001",
                 "security_1")
branch_labels = None
depends_on = None

_ID_COLUMNS = sa.text(
    "SELECT table_name, column_name FROM information_schema.columns "
    "WHERE table_schema = current_schema() AND data_type = 'integer' "
    "AND (column_name = 'id' OR column_name LIKE '%\\_id' ESCAPE '\\') ORDER BY table_name, column_name"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite integers are 64-bit already
    for table, column in bind.execute(_ID_COLUMNS).all():
        op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE bigint')
    for (sequence,) in bind.execute(sa.text(
        "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() AND data_type = 'integer'::regtype"
    )).all():
        op.execute(f'ALTER SEQUENCE "{sequence}" AS bigint')


def downgrade() -> None:
    pass  # narrowing could lose ids; widening is kept
