"""Account security: credential epochs, single-use TOTP steps, encrypted TOTP secrets, sign-in
locks cleared by an administrator, and privileged requests awaiting a second person.

Revision ID: security_1
"""

import sqlalchemy as sa
from alembic import op

revision = "security_1"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("credential_epoch", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger, nullable=True))
        # An encrypted secret (a Fernet token) is longer than the base32 secret it holds.
        batch.alter_column("totp_secret", type_=sa.String(255), existing_type=sa.String(64),
                           existing_nullable=True)
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("credential_epoch", sa.Integer, nullable=False, server_default="0"))
    with op.batch_alter_table("sign_in_attempts") as batch:
        batch.add_column(sa.Column("cleared_by", sa.Integer, nullable=True))
    op.create_table(
        "privileged_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("nation", sa.String(3), sa.ForeignKey("nations.code"), nullable=False, index=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("role", sa.String(32), nullable=True),
        sa.Column("starts_at", TS, nullable=True),
        sa.Column("ends_at", TS, nullable=True),
        sa.Column("requested_by", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.Integer, sa.ForeignKey("people.id"), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("appointment_id", sa.Integer, sa.ForeignKey("appointments.id"), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("privileged_requests")
    with op.batch_alter_table("sign_in_attempts") as batch:
        batch.drop_column("cleared_by")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("credential_epoch")
    with op.batch_alter_table("people") as batch:
        batch.alter_column("totp_secret", type_=sa.String(64), existing_type=sa.String(255),
                           existing_nullable=True)
        batch.drop_column("totp_last_step")
        batch.drop_column("credential_epoch")
