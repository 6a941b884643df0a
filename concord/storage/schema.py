"""The shared SQLAlchemy metadata and the marking columns every marked table carries."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, SmallInteger, String

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
