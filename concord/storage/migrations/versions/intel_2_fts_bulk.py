"""Intelligence: the SQLite full-text index is filled by the insert itself, one statement a batch.

An FTS5 insert from a per-row trigger costs about four times what one `INSERT … SELECT` over the
batch costs, and ingest inserts a thousand objects at a time; `storage.intel.insert_objects` now
indexes the rows it inserted. The delete and update triggers stay (those are rare, one object at a
time). PostgreSQL indexes an expression (GIN) and has no trigger: nothing changes there.

Revision ID: intel_2
"""

from alembic import op

revision = "intel_2"
down_revision = "intel_1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS intel_fts_insert")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER intel_fts_insert AFTER INSERT ON intel_objects BEGIN "
            "INSERT INTO intel_fts(rowid, title, search_text) VALUES (new.id, new.title, new.search_text); END"
        )
