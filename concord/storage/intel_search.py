"""Full-text search over STIX objects: a derived index, filled after commit (issue 18).

The text indexed is the object's title and `search_text` (names, descriptions, labels, patterns,
values), kept on `intel_objects` by the ingest transaction. The index itself (`intel_fts`: SQLite
FTS5, or a PostgreSQL `tsvector` table with a GIN index; migration `intel_5`) is written by the
indexer that follows the event log (services/intel_index.py), never by the ingest: an object is
found by id and by TAXII at once, and by search once the indexer has reached it. An object deleted
leaves the index with it (a trigger on SQLite, the foreign key's cascade on PostgreSQL).

The `simple` configuration / `unicode61` tokenizer is used on purpose: the texts are Turkish, Arabic
and English, and stemming for one language would mangle the others.

`matching` returns a WHERE clause for `intel_objects`; callers combine it with `visible_to`, so the
policy is applied in the same query as the search: releasability never depends on the index.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Connection

from concord.domain.errors import Invalid
from concord.storage.dialect import full_text_index, full_text_matches
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
    """A clause selecting the objects whose indexed text holds every word of `query` (as a prefix)."""
    return full_text_matches(conn, intel_objects.c.id, words(query))


def index_text(conn: Connection, object_ids: Sequence[int]) -> None:
    """Index (or index again) the current title and text of these objects."""
    full_text_index(conn, sorted(set(object_ids)))
