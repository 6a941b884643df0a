"""Intelligence: the relationship-link indexes hold only the objects that link something.

`source_ref` and `target_ref` are set on relationships and sightings only; every other object (most
of a feed) added a NULL entry to both indexes on insert, for lookups that never ask for NULL. The
indexes become partial (`WHERE … IS NOT NULL`); an equality lookup implies the condition, so both
databases still use them.

Revision ID: intel_3
"""

import sqlalchemy as sa
from alembic import op

revision = "intel_3"
down_revision = "intel_2"
branch_labels = None
depends_on = None

_LINKS = ("source_ref", "target_ref")


def upgrade() -> None:
    for name in _LINKS:
        op.drop_index(f"ix_intel_objects_{name}", table_name="intel_objects")
        where = sa.text(f"{name} IS NOT NULL")
        op.create_index(f"ix_intel_objects_{name}", "intel_objects", [name], sqlite_where=where,
                        postgresql_where=where)


def downgrade() -> None:
    for name in _LINKS:
        op.drop_index(f"ix_intel_objects_{name}", table_name="intel_objects")
        op.create_index(f"ix_intel_objects_{name}", "intel_objects", [name])
