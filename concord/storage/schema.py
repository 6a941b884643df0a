"""The shared SQLAlchemy metadata, the marking columns every marked table carries, and bulk lookups."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Integer,
    MetaData,
    SmallInteger,
    String,
    any_,
    bindparam,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY

# Stable constraint names, so that migrations can refer to them on both dialects.
metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

#: An auto-incrementing 64-bit key on PostgreSQL that is SQLite's rowid alias on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")

#: Every timestamp column: an aware instant (SQLite keeps the text; `clock.utc` reads it back as UTC).
TS = DateTime(timezone=True)


def marking_columns() -> list[Column[object]]:
    """Columns holding an item's marking; `storage.policy` reads and filters them."""
    return [
        Column("m_level", SmallInteger, nullable=False),
        Column("m_originator", String(3), nullable=False),
        # "|IRQ|TUR|": one LIKE tests membership on SQLite and PostgreSQL alike.
        Column("m_releasable_to", String(400), nullable=False),
        Column("m_tlp", String(16), nullable=False),
        Column("m_caveats", String(100), nullable=False, default=""),
    ]


def one_of(dialect: str, column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """`column IN (:name)` where :name is one parameter holding all the values (`many`).

    A plain `IN` renders a parameter per value, which for a batch of a thousand costs more in
    SQLAlchemy than the lookup costs the database. SQLite reads a JSON array (`json_each`),
    PostgreSQL an array (`= ANY`). Build statements with it once per dialect and reuse them.
    """
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    items = func.json_each(bindparam(name, type_=String)).table_valued("value")
    return column.in_(select(items.c.value))


def many(dialect: str, values: Iterable[str | int]) -> Any:
    """The value of a `one_of` parameter: strings or integers."""
    wanted = list(values)
    return wanted if dialect == "postgresql" else json.dumps(wanted)


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
