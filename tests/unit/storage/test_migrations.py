"""The Alembic migrations build exactly the schema the code's tables describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from concord.storage import all_tables  # noqa: F401
from concord.storage.db import Database
from concord.storage.intel_search import SEARCH_TABLE_PREFIX
from concord.storage.schema import metadata


def test_migrated_schema_matches_the_tables(database_url: str) -> None:
    db = Database(database_url)
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = [d for d in compare_metadata(context, metadata) if not _only_naming(d)]
    db.dispose()
    assert diff == []


def _only_naming(diff: object) -> bool:
    # Index names differ harmlessly between op.create_index and Column(index=True); tables and
    # columns must match exactly.
    op = diff[0] if isinstance(diff, tuple) else diff[0][0]  # type: ignore[index]
    if op == "remove_table" and diff[1].name.startswith(SEARCH_TABLE_PREFIX):  # type: ignore[index]
        return True  # SQLite FTS5 tables are created by the migration outside the metadata
    return op in ("add_index", "remove_index")
