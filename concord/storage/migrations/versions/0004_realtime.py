"""Real-time communication: channels, members, messages, revisions, read markers, nation
acknowledgements, duty shifts, presence.

Revision ID: 0004_realtime
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004_realtime"
down_revision = "0001_foundation"
branch_labels = ("realtime",)
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


def upgrade() -> None:
    op.create_table(
        "channels",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("nation", sa.String(3), nullable=True),
        sa.Column("subject_id", sa.String(160), nullable=True),
        sa.Column("members_key", sa.String(40), nullable=True, unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Integer, nullable=True),
        *marking(),
    )
    op.create_table(
        "channel_members",
        sa.Column("channel_id", sa.Integer, sa.ForeignKey("channels.id"), primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
        sa.Column("may_post", sa.Boolean, nullable=False),
        sa.Column("added_at", TS, nullable=False),
    )
    op.create_table(
        "messages",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("channel_id", sa.Integer, sa.ForeignKey("channels.id"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("author_nation", sa.String(3), nullable=False),
        sa.Column("precedence", sa.SmallInteger, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attachments", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("posted_at", TS, nullable=False),
        sa.Column("edited_at", TS, nullable=True),
        sa.Column("retracted_at", TS, nullable=True),
        *marking(),
    )
    op.create_index("ix_messages_channel_id_id", "messages", ["channel_id", "id"])
    op.create_table(
        "message_revisions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("message_id", BigId, sa.ForeignKey("messages.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attachments", sa.JSON, nullable=False),
        sa.Column("replaced_at", TS, nullable=False),
        sa.Column("replaced_by", sa.Integer, nullable=False),
    )
    op.create_index("ix_message_revisions_message_id", "message_revisions", ["message_id"])
    op.create_table(
        "read_markers",
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), primary_key=True),
        sa.Column("channel_id", sa.Integer, sa.ForeignKey("channels.id"), primary_key=True),
        sa.Column("delivered_through", BigId, nullable=False),
        sa.Column("delivered_at", TS, nullable=True),
        sa.Column("read_through", BigId, nullable=False),
        sa.Column("read_at", TS, nullable=True),
    )
    op.create_table(
        "nation_acks",
        sa.Column("message_id", BigId, sa.ForeignKey("messages.id"), primary_key=True),
        sa.Column("nation", sa.String(3), primary_key=True),
        sa.Column("acknowledged_by", sa.Integer, nullable=True),
        sa.Column("acknowledged_at", TS, nullable=True),
        sa.Column("escalations", sa.Integer, nullable=False),
        sa.Column("last_escalated_at", TS, nullable=True),
        sa.Column("next_check_at", TS, nullable=True),
    )
    op.create_index("ix_nation_acks_next_check_at", "nation_acks", ["next_check_at"])
    op.create_table(
        "duty_shifts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("nation", sa.String(3), nullable=False),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("created_by", sa.Integer, nullable=True),
    )
    op.create_index("ix_duty_shifts_nation_ends_at", "duty_shifts", ["nation", "ends_at"])
    op.create_table(
        "presence",
        sa.Column("connection_id", sa.String(40), primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("connected_at", TS, nullable=False),
        sa.Column("seen_at", TS, nullable=False),
    )
    op.create_index("ix_presence_person_id", "presence", ["person_id"])


def downgrade() -> None:
    for table in ("presence", "duty_shifts", "nation_acks", "read_markers", "message_revisions", "messages",
                  "channel_members", "channels"):
        op.drop_table(table)
