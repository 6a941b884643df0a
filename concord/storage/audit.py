"""The audit log's leaves and tree: entries (the leaves) and complete-subtree hashes.

Level-0 hashes are the entries' `leaf_hash`; `audit_nodes` holds every complete aligned subtree of
height >= 1, written as entries are appended, so any root or proof is O(log n) lookups
(`concord.domain.merkle`). Appends are serialised: on SQLite by the write transaction's lock, on
PostgreSQL by `Lock.AUDIT_APPEND`, taken only by the sequencer (`storage.audit_queue`: writers queue
their leaves instead), so sequence numbers have no gaps or races.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    and_,
    func,
    or_,
    select,
)

from concord.domain.audit import AuditEntry
from concord.domain.errors import StateConflict
from concord.domain.markings import Marking, Reader
from concord.domain.merkle import Frontier, NodeKey, range_nodes
from concord.storage.dialect import Lock, hold, placeholder
from concord.storage.policy import marking_values, visible_to
from concord.storage.schema import BigId, marking_columns, metadata


def leaf_columns() -> list[Column[Any]]:
    """The fields of a leaf as hashed into the tree (a queued leaf has the same ones)."""
    return [
        Column("time", String(32), nullable=False),  # exactly as hashed into the leaf
        Column("actor_person", Integer, nullable=True),
        Column("actor_nation", String(3), nullable=True),
        Column("action", String(200), nullable=False),
        Column("item_type", String(200), nullable=False),
        Column("item_id", String(200), nullable=False),
        Column("content_hash", String(64), nullable=False),
        Column("request_id", String(200), nullable=True),
        Column("nonce", String(32), nullable=False),
    ]


audit_entries = Table(
    "audit_entries",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=False),
    *leaf_columns(),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("event_id", BigInteger, nullable=True),
    *marking_columns(),  # the audited item's marking: who may read the entry in full
)

audit_nodes = Table(
    "audit_nodes",
    metadata,
    Column("level", SmallInteger, nullable=False),
    Column("idx", BigInteger, nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
    PrimaryKeyConstraint("level", "idx"),
)

ENTRY_FIELDS = (
    "time",
    "actor_person",
    "actor_nation",
    "action",
    "item_type",
    "item_id",
    "content_hash",
    "request_id",
    "nonce",
)


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to append: everything but its sequence number, plus the item's marking."""

    time: str
    actor_person: int | None
    actor_nation: str | None
    action: str
    item_type: str
    item_id: str
    content_hash: str
    request_id: str | None
    nonce: str
    marking: Marking
    event_id: int | None = None


class StoredTree:
    """`merkle.NodeSource` over the audit tables, in the caller's connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get_nodes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        # One round trip on the driver's own cursor: a proof needs a few dozen keys, and SQLAlchemy
        # expressions or two statements would cost more than the lookups themselves (the budget is
        # 1 ms at a million entries). Level 0 is audit_entries.leaf_hash, the rest audit_nodes.
        if not keys:
            return []
        mark = placeholder(self.conn)
        by_level: dict[int, list[int]] = {}
        for level, index in keys:
            by_level.setdefault(level, []).append(index)
        selects, params = [], []
        for level, indexes in by_level.items():
            marks = ", ".join([mark] * len(indexes))
            # Only placeholders are interpolated; every value travels as a parameter.
            if level == 0:
                selects.append(f"SELECT 0, seq, leaf_hash FROM audit_entries WHERE seq IN ({marks})")  # noqa: S608
            else:
                selects.append(
                    f"SELECT level, idx, hash FROM audit_nodes WHERE level = {mark} AND idx IN ({marks})"  # noqa: S608
                )
                params.append(level)
            params.extend(indexes)
        cursor = self.conn.connection.cursor()
        try:
            cursor.execute(" UNION ALL ".join(selects), tuple(params))
            found = {(int(level), int(idx)): bytes(h) for level, idx, h in cursor.fetchall()}
        finally:
            cursor.close()
        missing = [key for key in keys if key not in found]
        if missing:
            # Only a damaged or tampered store lacks a node: say so instead of failing obscurely.
            raise StateConflict(f"the audit log's storage is damaged: tree nodes {missing[:5]} are missing")
        return [found[key] for key in keys]


def lock(conn: Connection) -> None:
    """Serialise audit writers until the transaction ends (on SQLite the write lock already does)."""
    hold(conn, Lock.AUDIT_APPEND)


def tree_size(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(audit_entries.c.seq) + 1, 0))).scalar_one())


@dataclass(frozen=True, slots=True)
class TreeHead:
    """The right edge of the stored tree after an append, kept in memory to spare the next append
    its O(log n) lookups. It is trusted only while the stored last leaf still matches it."""

    size: int
    last_leaf: bytes | None
    frontier: tuple[bytes, ...]


_LAST_LEAF = select(audit_entries.c.seq, audit_entries.c.leaf_hash).order_by(audit_entries.c.seq.desc()).limit(1)
_ENTRY_COLUMNS = (
    "seq",
    *ENTRY_FIELDS,
    "leaf_hash",
    "event_id",
    "m_level",
    "m_originator",
    "m_releasable_to",
    "m_tlp",
    "m_caveats",
)


def _insert_many(conn: Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """executemany through the driver: SQLAlchemy's per-value bind processing would cost more than
    the insert itself at tens of thousands of rows per second. Values are str, int, bytes or None."""
    mark = placeholder(conn)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"  # noqa: S608 - names are constants
    conn.exec_driver_sql(sql, rows)


def _frontier(conn: Connection, cached: TreeHead | None) -> Frontier:
    last = conn.execute(_LAST_LEAF).first()
    size = 0 if last is None else int(last.seq) + 1
    last_leaf = None if last is None else bytes(last.leaf_hash)
    if cached is not None and cached.size == size and cached.last_leaf == last_leaf:
        return Frontier(size, cached.frontier)
    return Frontier(size, StoredTree(conn).get_nodes(range_nodes(0, size)) if size else [])


def append_entries(
    conn: Connection, entries: Sequence[NewEntry], cached: TreeHead | None = None
) -> tuple[list[AuditEntry], TreeHead | None]:
    """Append entries as leaves (and the subtrees they complete) in the caller's transaction.

    Returns the entries and the new tree head, to be passed to the next append once this
    transaction has committed."""
    if not entries:
        return [], cached
    lock(conn)
    frontier = _frontier(conn, cached)
    size = frontier.size
    appended: list[AuditEntry] = []
    markings: dict[Marking, dict[str, Any]] = {}  # a batch usually shares a few markings
    leaves: list[bytes] = []
    rows: list[tuple[Any, ...]] = []
    for offset, new in enumerate(entries):
        fields = tuple(getattr(new, name) for name in ENTRY_FIELDS)
        entry = AuditEntry(size + offset, *fields)
        entry.validate()
        leaf = entry.leaf_hash()
        m = markings.get(new.marking) or markings.setdefault(new.marking, marking_values(new.marking))
        appended.append(entry)
        leaves.append(leaf)
        rows.append(
            (
                entry.sequence,
                *fields,
                leaf,
                new.event_id,
                m["m_level"],
                m["m_originator"],
                m["m_releasable_to"],
                m["m_tlp"],
                m["m_caveats"],
            )
        )
    nodes: list[tuple[int, int, bytes]] = []

    def keep(level: int, index: int, h: bytes) -> None:
        if level > 0:  # level 0 lives in audit_entries.leaf_hash
            nodes.append((level, index, h))

    frontier.extend(leaves, keep)
    _insert_many(conn, "audit_entries", _ENTRY_COLUMNS, rows)
    if nodes:
        _insert_many(conn, "audit_nodes", ("level", "idx", "hash"), nodes)
    return appended, TreeHead(frontier.size, leaves[-1], tuple(frontier.hashes))


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(int(row.seq), *(getattr(row, name) for name in ENTRY_FIELDS))


def readable_by(reader: Reader) -> Any:
    """Entries a nation sees in full: about items the reader may see, or done by its own people
    (at a level the reader is cleared for)."""
    c = audit_entries.c
    own = and_(c.actor_nation == reader.nation, c.m_level <= int(reader.clearance)) if reader.may_read else None
    return or_(visible_to(audit_entries, reader), own) if own is not None else visible_to(audit_entries, reader)


def entries_in_range(conn: Connection, reader: Reader, start: int, end: int) -> list[tuple[AuditEntry | None, bytes]]:
    """Leaves [start, end) as (entry, stored leaf hash); entry None where the reader may not read it."""
    c = audit_entries.c
    readable = readable_by(reader).label("readable")
    rows = conn.execute(
        select(c.seq, c.leaf_hash, readable, *(c[name] for name in ENTRY_FIELDS))
        .where(c.seq >= start, c.seq < end)
        .order_by(c.seq)
    )
    # Unreadable rows are fetched with their columns, but only the leaf hash leaves this function.
    return [(_entry(row) if row.readable else None, bytes(row.leaf_hash)) for row in rows]
