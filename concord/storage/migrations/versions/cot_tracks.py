"""TAK gateway: tracks (last known position), their position history, and map points.

Revision ID: cot_tracks
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "cot_tracks"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def marking() -> list[sa.Column[Any]]:
    return [
        sa.Column("m_level", sa.SmallInteger, nullable=False),
        sa.Column("m_originator", sa.String(3), nullable=False),
        sa.Column("m_releasable_to", sa.String(400), nullable=False),
        sa.Column("m_tlp", sa.String(16), nullable=False),
        sa.Column("m_caveats", sa.String(100), nullable=False),
    ]


def position() -> list[sa.Column[Any]]:
    return [
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("hae", sa.Float, nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "cot_tracks",
        sa.Column("uid", sa.String(256), primary_key=True),
        sa.Column("callsign", sa.String(120), nullable=False),
        sa.Column("cot_type", sa.String(128), nullable=False),
        sa.Column("sidc", sa.String(15), nullable=True),
        *position(),
        sa.Column("speed", sa.Float, nullable=True),
        sa.Column("course", sa.Float, nullable=True),
        sa.Column("time", TS, nullable=False),
        sa.Column("stale", TS, nullable=False),
        sa.Column("group_name", sa.String(64), nullable=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=True),
        sa.Column("cot_xml", sa.Text, nullable=False),
        *marking(),
    )
    op.create_index("ix_cot_tracks_stale", "cot_tracks", ["stale"])
    op.create_table(
        "cot_track_history",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("uid", sa.String(256), nullable=False),
        *position(),
        sa.Column("speed", sa.Float, nullable=True),
        sa.Column("course", sa.Float, nullable=True),
        sa.Column("time", TS, nullable=False),
        *marking(),
    )
    op.create_index("ix_cot_track_history_time", "cot_track_history", ["time"])
    op.create_index("ix_cot_track_history_uid_time", "cot_track_history", ["uid", "time"])
    op.create_table(
        "cot_map_points",
        sa.Column("uid", sa.String(256), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("cot_type", sa.String(128), nullable=False),
        sa.Column("sidc", sa.String(15), nullable=True),
        sa.Column("title", sa.String(120), nullable=False),
        *position(),
        sa.Column("remarks", sa.Text, nullable=False),
        sa.Column("creator_uid", sa.String(256), nullable=True),
        sa.Column("time", TS, nullable=False),
        sa.Column("stale", TS, nullable=False),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=True),
        sa.Column("cot_xml", sa.Text, nullable=False),
        *marking(),
    )
    op.create_index("ix_cot_map_points_stale", "cot_map_points", ["stale"])


def downgrade() -> None:
    op.drop_table("cot_map_points")
    op.drop_table("cot_track_history")
    op.drop_table("cot_tracks")
