"""Full-text search over STIX objects: SQLite FTS5 or PostgreSQL full-text search.

The text indexed is the object's title and `search_text` (names, descriptions, labels, patterns,
values), kept on `intel_objects`. SQLite keeps an FTS5 index in step through triggers (created by
the migration); PostgreSQL uses a GIN index over the same expression (both created by the migration `intel_1`).
The `simple` configuration /
`unicode61` tokenizer is used on purpose: the texts are Turkish, Arabic and English, and stemming
for one language would mangle the others.

`matching` returns a WHERE clause for `intel_objects`; callers combine it with `visible_to`, so the
policy is applied in the same query as the search.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, literal_column, select, text

from concord.domain.errors import Invalid
from concord.storage.intel import intel_objects

_WORD = re.compile(r"\w+", re.UNICODE)

#: Tables the migration creates outside the SQLAlchemy metadata (FTS5 and its shadow tables).
SEARCH_TABLE_PREFIX = "intel_fts"


def words(query: str) -> list[str]:
    found = _WORD.findall(query or "")
    if not found:
        raise Invalid("the search text has no words", field="q")
    return found[:20]


def matching(conn: Connection, query: str) -> ColumnElement[bool]:
    """A clause selecting the objects whose text holds every word of `query` (as a prefix)."""
    terms = words(query)
    if conn.dialect.name == "postgresql":
        document = func.to_tsvector(
            literal_column("'simple'"), intel_objects.c.title + " " + intel_objects.c.search_text
        )
        tsquery = func.to_tsquery(literal_column("'simple'"), " & ".join(f"{_pg_quote(t)}:*" for t in terms))
        return document.op("@@")(tsquery)
    # FTS5: each word as a quoted string (no operator can be smuggled in), as a prefix, all required.
    fts = " ".join('"' + t.replace('"', '""') + '"*' for t in terms)
    ids: Select[Any] = (
        select(literal_column("rowid")).select_from(text("intel_fts")).where(text("intel_fts MATCH :fts"))
    )
    return intel_objects.c.id.in_(ids.params(fts=fts))


def _pg_quote(term: str) -> str:
    return "'" + term.replace("'", "''").replace("\\", "\\\\") + "'"
