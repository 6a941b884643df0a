"""Intelligence sharing: STIX objects and versions, TAXII statuses, correlation index, full-text search.

Revision ID: intel_1
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "intel_1"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


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
        "intel_objects",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("stix_id", sa.String(300), nullable=False),
        sa.Column("stix_type", sa.String(250), nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.Column("latest_version", sa.String(31), nullable=False),
        sa.Column("latest_modified", sa.String(31), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("search_text", sa.Text, nullable=False),
        sa.Column("created_by_person", sa.Integer, nullable=True),
        sa.Column("first_added", sa.String(31), nullable=False),
        sa.Column("source_ref", sa.String(300), nullable=True),
        sa.Column("target_ref", sa.String(300), nullable=True),
        *marking(),
        sa.UniqueConstraint("m_originator", "stix_id", name="uq_intel_objects_originator_stix_id"),
    )
    op.create_index("ix_intel_objects_stix_id", "intel_objects", ["stix_id"])
    op.create_index("ix_intel_objects_type_modified", "intel_objects", ["stix_type", "latest_modified"])
    op.create_index("ix_intel_objects_source_ref", "intel_objects", ["source_ref"])
    op.create_index("ix_intel_objects_target_ref", "intel_objects", ["target_ref"])
    op.create_table(
        "intel_versions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("object_id", BigId, sa.ForeignKey("intel_objects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("stix_id", sa.String(300), nullable=False),
        sa.Column("stix_type", sa.String(250), nullable=False),
        sa.Column("originator", sa.String(3), nullable=False),
        sa.Column("version", sa.String(31), nullable=False),
        sa.Column("date_added", sa.String(31), nullable=False),
        sa.Column("spec_version", sa.String(8), nullable=False),
        sa.Column("is_latest", sa.Boolean, nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
        sa.UniqueConstraint("object_id", "version", name="uq_intel_versions_object_version"),
    )
    op.create_index("ix_intel_versions_added", "intel_versions", ["date_added", "id"])
    op.create_index("ix_intel_versions_type_added", "intel_versions", ["stix_type", "date_added", "id"])
    op.create_index("ix_intel_versions_origin_added", "intel_versions", ["originator", "date_added", "id"])
    op.create_index("ix_intel_versions_stix_id", "intel_versions", ["stix_id"])
    op.create_table(
        "intel_statuses",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.Integer, nullable=False),
        sa.Column("collection", sa.String(36), nullable=False),
        sa.Column("request_timestamp", sa.String(31), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("successes", sa.JSON, nullable=False),
        sa.Column("failures", sa.JSON, nullable=False),
    )
    op.create_table(
        "intel_keys",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.LargeBinary(64), nullable=False),
    )
    op.create_table(
        "intel_observables",
        sa.Column("digest", sa.BigInteger, nullable=False),
        sa.Column("object_id", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("digest", "object_id", name="pk_intel_observables"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "intel_correlations",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("value", sa.String(2048), nullable=False),
        sa.Column("object_a", sa.BigInteger, sa.ForeignKey("intel_objects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("object_b", sa.BigInteger, sa.ForeignKey("intel_objects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_intel_correlations_a", "intel_correlations", ["object_a"])
    op.create_index("ix_intel_correlations_b", "intel_correlations", ["object_b"])
    # Full-text search (the statements live here, frozen with this revision).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_intel_objects_fts ON intel_objects "
            "USING gin (to_tsvector('simple', title || ' ' || search_text))"
        )
    else:
        for statement in _SQLITE_FTS:
            op.execute(statement)


_SQLITE_FTS = [
    "CREATE VIRTUAL TABLE intel_fts USING fts5(title, search_text, content='intel_objects', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER intel_fts_insert AFTER INSERT ON intel_objects BEGIN "
    "INSERT INTO intel_fts(rowid, title, search_text) VALUES (new.id, new.title, new.search_text); END",
    "CREATE TRIGGER intel_fts_delete AFTER DELETE ON intel_objects BEGIN "
    "INSERT INTO intel_fts(intel_fts, rowid, title, search_text) "
    "VALUES ('delete', old.id, old.title, old.search_text); END",
    "CREATE TRIGGER intel_fts_update AFTER UPDATE OF title, search_text ON intel_objects BEGIN "
    "INSERT INTO intel_fts(intel_fts, rowid, title, search_text) "
    "VALUES ('delete', old.id, old.title, old.search_text); "
    "INSERT INTO intel_fts(rowid, title, search_text) VALUES (new.id, new.title, new.search_text); END",
]


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_intel_objects_fts")
    else:
        for statement in (
            "DROP TRIGGER IF EXISTS intel_fts_update",
            "DROP TRIGGER IF EXISTS intel_fts_delete",
            "DROP TRIGGER IF EXISTS intel_fts_insert",
            "DROP TABLE IF EXISTS intel_fts",
        ):
            op.execute(statement)
    for table in (
        "intel_correlations",
        "intel_observables",
        "intel_keys",
        "intel_statuses",
        "intel_versions",
        "intel_objects",
    ):
        op.drop_table(table)
