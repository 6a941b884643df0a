"""What differs between SQLite and PostgreSQL, in one room (like Synapse's `storage/engines`).

Nothing outside `concord.storage` asks which database it runs on: it calls a function here, or a
storage function that does. Every advisory-lock key of the product is a member of `Lock`, so two
features can never pick the same number by accident, and `pg_locks` can be read against one list.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable, Sequence
from enum import IntEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    Table,
    and_,
    any_,
    bindparam,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.dml import Insert

POSTGRESQL = "postgresql"
SQLITE = "sqlite"


class Lock(IntEnum):
    """Transaction-level advisory locks (PostgreSQL). On SQLite a writer holds the database's write
    lock for its whole transaction, which already serialises every writer, so taking one is a no-op.

    The values are the keys PostgreSQL sees; they never change (two processes of different versions
    must agree on them). A keyed lock (`hold(conn, lock, key)`) uses PostgreSQL's two-integer key
    space, which does not overlap the single-key space of the whole-centre locks.
    """

    #: Giving committed events their positions, one ordering transaction at a time (`storage.event_order`).
    #: (7_340_001 was the lock every event append held until commit; it is no longer taken.)
    EVENT_ORDER = 7_340_006
    #: Numbering audit leaves into the tree: the one sequencer at a time (`storage.audit_queue`).
    AUDIT_APPEND = 7_340_002
    #: Giving committed intel versions their `date_added`, one ordering round at a time
    #: (`storage.intel_order`). (7_340_003 was the lock every intel write held until commit; it is no
    #: longer taken.)
    INTEL_ORDER = 7_340_011
    #: One intel object, keyed by its originator and STIX id: writers of the same object, until commit.
    INTEL_OBJECT = 7_340_010
    #: Conflict-writing deconfliction checks: shared by checks that lock cells, exclusive for one
    #: whose zone is too wide for cells (`storage.conflicts.serialise_checks`).
    DECONFLICTION = 7_340_005
    #: Schema migrations: processes starting together migrate one at a time (`storage.migrate`).
    MIGRATE = 7_340_008
    #: One cell of the deconfliction grid (keyed by the cell).
    DECONFLICTION_CELL = 7_340_007
    #: Setting up the standard channels: processes doing it at once make each channel once
    #: (`storage.channels.serialise_standard_setup`).
    STANDARD_CHANNELS = 7_340_009


def name(conn: Connection) -> str:
    """The dialect's name: "sqlite" or "postgresql"."""
    return str(conn.dialect.name)


def is_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == POSTGRESQL


def hold(conn: Connection, lock: Lock, key: str | int | None = None) -> None:
    """Take `lock` (for `key` alone, when given) until the transaction ends.

    A keyed lock serialises only writers of the same key (an object id, an area cell): its key is
    hashed to 32 bits, so two keys may rarely share a lock, which costs waiting, never correctness.
    """
    if not is_postgresql(conn):
        return
    if key is None:
        conn.execute(_HOLD, {"k": int(lock)})
    else:
        conn.execute(_HOLD_KEYED, {"k": int(lock), "sub": _int4(key)})


def hold_shared(conn: Connection, lock: Lock) -> None:
    """Take `lock` in shared mode until the transaction ends: it excludes only `hold`'s exclusive mode."""
    if is_postgresql(conn):
        conn.execute(_HOLD_SHARED, {"k": int(lock)})


def try_hold(conn: Connection, lock: Lock) -> bool:
    """Take `lock` until the transaction ends if no one holds it; False at once if someone does.
    Always True on SQLite (the write lock is already held)."""
    if not is_postgresql(conn):
        return True
    return bool(conn.execute(_TRY_HOLD, {"k": int(lock)}).scalar_one())


def hold_keys(conn: Connection, lock: Lock, keys: Iterable[str | int]) -> None:
    """Take `lock` for each of `keys`, in one order every writer shares (no deadlock between two)."""
    if not is_postgresql(conn):
        return
    subs = sorted({_int4(k) for k in keys})
    if subs:  # one round trip for a thousand keys (an envelope's objects), taken in the sorted order
        conn.execute(_HOLD_KEYS, {"k": int(lock), "subs": subs})


_HOLD = text("SELECT pg_advisory_xact_lock(:k)")
_HOLD_SHARED = text("SELECT pg_advisory_xact_lock_shared(:k)")
_TRY_HOLD = text("SELECT pg_try_advisory_xact_lock(:k)")
# The first key is the lock's number folded into 32 bits (all `Lock` values fit); the second the item.
_HOLD_KEYED = text("SELECT pg_advisory_xact_lock(CAST(:k AS integer), CAST(:sub AS integer))")
# WITH ORDINALITY and ORDER BY: the locks are taken in the array's (sorted) order, row by row.
_HOLD_KEYS = text("SELECT count(pg_advisory_xact_lock(CAST(:k AS integer), sub)) FROM ("
                  "SELECT sub FROM unnest(CAST(:subs AS integer[])) WITH ORDINALITY AS s(sub, n) ORDER BY n) ordered")


def _int4(key: str | int) -> int:
    raw = str(key).encode()
    return zlib.crc32(raw) - (1 << 31)  # a signed 32-bit integer, the same in every process


def one_of(dialect: str, column: ColumnElement[Any], param: str) -> ColumnElement[bool]:
    """`column IN (:param)` where :param is one parameter holding all the values (`many`).

    A plain `IN` renders a parameter per value, which for a batch of a thousand costs more in
    SQLAlchemy than the lookup costs the database. SQLite reads a JSON array (`json_each`),
    PostgreSQL an array (`= ANY`). Build statements with it once per dialect and reuse them.
    """
    if dialect == POSTGRESQL:
        return column == any_(bindparam(param, type_=ARRAY(column.type)))
    items = func.json_each(bindparam(param, type_=String)).table_valued("value")
    return column.in_(select(items.c.value))


def many(dialect: str, values: Iterable[str | int]) -> Any:
    """The value of a `one_of` parameter: strings or integers."""
    wanted = list(values)
    return wanted if dialect == POSTGRESQL else json.dumps(wanted)


def insert_or_ignore(dialect: str, table: Table) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING: rows that would violate a unique key are skipped."""
    module: Any = postgresql if dialect == POSTGRESQL else sqlite
    statement: Insert = module.insert(table).on_conflict_do_nothing()
    return statement


def upsert(dialect: str, table: Table, key: Sequence[str], *, only_if_same: Sequence[str] = ()) -> Insert:
    """INSERT … ON CONFLICT (key) DO UPDATE SET every other column to the new row's value; with
    `only_if_same`, only when the stored row has the new row's values in those columns (else nothing)."""
    module: Any = postgresql if dialect == POSTGRESQL else sqlite
    base = module.insert(table)
    same = [table.c[n] == base.excluded[n] for n in only_if_same]
    statement: Insert = base.on_conflict_do_update(
        index_elements=list(key), set_={c.name: base.excluded[c.name] for c in table.columns if c.name not in key},
        where=and_(*same) if same else None)
    return statement


def upsert_with(dialect: str, table: Table, key: Sequence[str],
                set_: Callable[[Any], dict[str, Any]], where: Callable[[Any], ColumnElement[bool]]) -> Insert:
    """INSERT … ON CONFLICT (key) DO UPDATE SET `set_(excluded)` WHERE `where(excluded)`: the stored
    row changed in one statement as the caller decides from it and the new row (`excluded`)."""
    module: Any = postgresql if dialect == POSTGRESQL else sqlite
    base = module.insert(table)
    statement: Insert = base.on_conflict_do_update(index_elements=list(key), set_=set_(base.excluded),
                                                   where=where(base.excluded))
    return statement


def for_update(conn: Connection, query: Select[Any]) -> Select[Any]:
    """Lock the selected rows until commit (PostgreSQL; an SQLite writer holds the whole database)."""
    return query.with_for_update() if is_postgresql(conn) else query


def placeholder(conn: Connection) -> str:
    """The driver's positional parameter mark, for statements sent straight to the driver."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def insert_returning_ids(conn: Connection, table: Table, id_column: ColumnElement[Any],
                         rows: Sequence[dict[str, Any]],
                         bulk_insert: Callable[[], object] | None = None) -> list[int]:
    """Insert `rows` and return their new ids in the rows' order.

    PostgreSQL: multi-row INSERT … RETURNING, ids in parameter order. SQLite runs RETURNING row by
    row, so a plain executemany (`bulk_insert`, or SQLAlchemy's) and the ids taken under the write lock.
    """
    if is_postgresql(conn):
        result = conn.execute(insert(table).returning(id_column, sort_by_parameter_order=True), list(rows))
        return [int(i) for i in result.scalars()]
    ids = ids_of_insert(conn, id_column, bulk_insert or (lambda: conn.execute(insert(table), list(rows))), len(rows))
    if ids is None:  # pragma: no cover - not SQLite's behaviour
        raise RuntimeError(f"{table.name} ids were not allocated in order")
    return ids


def ids_of_insert(conn: Connection, id_column: ColumnElement[Any], insert_rows: Callable[[], object],
                  count: int) -> list[int] | None:
    """On SQLite: run `insert_rows` (which adds `count` rows to `id_column`'s table) and return the new
    rows' ids in order, without INSERT … RETURNING, which SQLite runs row by row.

    SQLite gives a new row the largest rowid plus one, and a writer holds the database's write lock,
    so a batch takes the next ids in order. Checked: None if they were not (not SQLite's documented
    behaviour; the caller reads them back or fails the transaction).
    """
    newest = select(func.max(id_column))
    before = int(conn.execute(newest).scalar() or 0)
    insert_rows()
    if conn.execute(newest).scalar() != before + count:
        return None
    return list(range(before + 1, before + 1 + count))


# --- full-text search (the derived index of `storage.intel_search`, tables made by migration intel_5) ---

def full_text_matches(conn: Connection, id_column: ColumnElement[Any], terms: Sequence[str]) -> ColumnElement[bool]:
    """`id_column IN (ids of the rows whose indexed text holds every term, each as a prefix)`.

    SQLite: FTS5 `intel_fts`, each term a quoted string (no operator can be smuggled in). PostgreSQL:
    the `tsvector` table `intel_fts` with the `simple` configuration (no stemming for one language
    that would mangle the others)."""
    if is_postgresql(conn):
        tsquery = " & ".join(f"{_pg_quote(t)}:*" for t in terms)
        ids = (select(text("object_id")).select_from(text("intel_fts"))
               .where(text("document @@ to_tsquery('simple', :tsq)")))
        return id_column.in_(ids.params(tsq=tsquery))
    fts = " ".join('"' + t.replace('"', '""') + '"*' for t in terms)
    found = select(text("rowid")).select_from(text("intel_fts")).where(text("intel_fts MATCH :fts"))
    return id_column.in_(found.params(fts=fts))


def full_text_index(conn: Connection, ids: Sequence[int]) -> None:
    """(Re)index the title and search text of these `intel_objects` rows: replaced if indexed."""
    if not ids:
        return
    wanted = many(conn.dialect.name, ids)
    if is_postgresql(conn):
        conn.execute(text(
            "INSERT INTO intel_fts (object_id, document) SELECT id, to_tsvector('simple', title || ' ' || "
            "search_text) FROM intel_objects WHERE id = ANY(:ids) "
            "ON CONFLICT (object_id) DO UPDATE SET document = excluded.document"), {"ids": wanted})
        return
    conn.execute(text("DELETE FROM intel_fts WHERE rowid IN (SELECT value FROM json_each(:ids))"), {"ids": wanted})
    conn.execute(text("INSERT INTO intel_fts (rowid, title, search_text) SELECT id, title, search_text "
                      "FROM intel_objects WHERE id IN (SELECT value FROM json_each(:ids))"), {"ids": wanted})


def _pg_quote(term: str) -> str:
    return "'" + term.replace("'", "''").replace("\\", "\\\\") + "'"
