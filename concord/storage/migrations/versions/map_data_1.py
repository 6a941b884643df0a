"""A centre's own map data: uploaded tile archives and on-premises tile servers.

Revision ID: map_data_1
"""

import sqlalchemy as sa
from alembic import op

revision = "map_data_1"
down_revision = "ids_64"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "map_sources",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("tile_format", sa.String(8), nullable=False),
        sa.Column("min_zoom", sa.SmallInteger, nullable=False),
        sa.Column("max_zoom", sa.SmallInteger, nullable=False),
        sa.Column("bounds", sa.JSON, nullable=True),
        sa.Column("attribution", sa.String(200), nullable=False),
        sa.Column("url", sa.String(500), nullable=True),
        sa.Column("file_name", sa.String(100), nullable=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("nation", sa.String(3), nullable=False),
        sa.Column("added_by", sa.Integer, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("map_sources")
