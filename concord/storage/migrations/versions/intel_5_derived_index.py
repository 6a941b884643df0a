"""Intelligence: the full-text index is derived, filled after commit by the indexer (issue 18).

The acknowledged transaction of an ingest keeps only objects, versions, markings and events; the
indexer (services/intel_index.py) follows the event log and fills the full-text index (and the
correlation index) from it. So the index can no longer be kept by the row it indexes:

- SQLite: `intel_fts` becomes an FTS5 table with its own copy of the text. An external-content
  table (`content='intel_objects'`) needs the text it indexed to remove a row, and that text is gone
  once a new version has replaced it before the indexer ran; its update and delete triggers go, and
  a trigger removes a deleted object's row by id.
- PostgreSQL: the GIN index on an expression of `intel_objects` (maintained inside every ingest)
  becomes a table `intel_fts (object_id, document)` with a GIN index on `document`.

What is stored now is indexed here, and the indexer's position starts at the head of the log.

Revision ID: intel_5
"""

from alembic import op

revision = "intel_5"
down_revision = ("intel_4", "follow_1", "events_2")
branch_labels = None
depends_on = None

_START = ("INSERT INTO follower_positions (name, position, updated_at) "
          "SELECT 'intel-index', coalesce(max(position), 0), CURRENT_TIMESTAMP FROM events")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_intel_objects_fts")
        op.execute("CREATE TABLE intel_fts (object_id BIGINT PRIMARY KEY "
                   "REFERENCES intel_objects (id) ON DELETE CASCADE, document TSVECTOR NOT NULL)")
        op.execute("INSERT INTO intel_fts (object_id, document) "
                   "SELECT id, to_tsvector('simple', title || ' ' || search_text) FROM intel_objects")
        op.execute("CREATE INDEX ix_intel_fts_document ON intel_fts USING gin (document)")
    else:
        for statement in (
            "DROP TRIGGER IF EXISTS intel_fts_update",
            "DROP TRIGGER IF EXISTS intel_fts_delete",
            "DROP TABLE IF EXISTS intel_fts",
            "CREATE VIRTUAL TABLE intel_fts USING fts5(title, search_text, "
            "tokenize='unicode61 remove_diacritics 2')",
            "INSERT INTO intel_fts (rowid, title, search_text) SELECT id, title, search_text FROM intel_objects",
            # An object deleted leaves the index with it (PostgreSQL: the foreign key's cascade).
            "CREATE TRIGGER intel_fts_gone AFTER DELETE ON intel_objects BEGIN "
            "DELETE FROM intel_fts WHERE rowid = old.id; END",
        ):
            op.execute(statement)
    op.execute(_START)


def downgrade() -> None:
    op.execute("DELETE FROM follower_positions WHERE name = 'intel-index'")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS intel_fts")
        op.execute("CREATE INDEX ix_intel_objects_fts ON intel_objects "
                   "USING gin (to_tsvector('simple', title || ' ' || search_text))")
        return
    for statement in (
        "DROP TRIGGER IF EXISTS intel_fts_gone",
        "DROP TABLE IF EXISTS intel_fts",
        "CREATE VIRTUAL TABLE intel_fts USING fts5(title, search_text, content='intel_objects', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
        "INSERT INTO intel_fts (intel_fts) VALUES ('rebuild')",
        "CREATE TRIGGER intel_fts_delete AFTER DELETE ON intel_objects BEGIN "
        "INSERT INTO intel_fts(intel_fts, rowid, title, search_text) "
        "VALUES ('delete', old.id, old.title, old.search_text); END",
        "CREATE TRIGGER intel_fts_update AFTER UPDATE OF title, search_text ON intel_objects BEGIN "
        "INSERT INTO intel_fts(intel_fts, rowid, title, search_text) "
        "VALUES ('delete', old.id, old.title, old.search_text); "
        "INSERT INTO intel_fts(rowid, title, search_text) VALUES (new.id, new.title, new.search_text); END",
    ):
        op.execute(statement)
