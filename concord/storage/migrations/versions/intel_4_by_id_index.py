"""Intelligence: reads by STIX id seek one index, whatever the size of the feed.

A TAXII read by id in a nation's feed filters on the STIX id and the originator and sorts by
(date_added, id). With `stix_id` alone indexed, SQLite's planner preferred the originator's
(originator, date_added, id) index, which gives the order for free, and walked the whole feed:
the cost grew with every object stored. `(stix_id, originator, date_added, id)` answers the
equalities and the order in one seek, so it is the only good plan; it replaces the `stix_id` index,
whose lookups it serves as well.

Revision ID: intel_4
"""

from alembic import op

revision = "intel_4"
down_revision = "intel_3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_intel_versions_stix_origin_added", "intel_versions",
                    ["stix_id", "originator", "date_added", "id"])
    op.drop_index("ix_intel_versions_stix_id", table_name="intel_versions")


def downgrade() -> None:
    op.create_index("ix_intel_versions_stix_id", "intel_versions", ["stix_id"])
    op.drop_index("ix_intel_versions_stix_origin_added", table_name="intel_versions")
