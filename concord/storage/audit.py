"""The audit log's tables: entries (the leaves), complete-subtree hashes, checkpoints, cosignatures.

Level-0 hashes are the entries' `leaf_hash`; `audit_nodes` holds every complete aligned subtree of
height >= 1, written as entries are appended, so any root or proof is O(log n) lookups
(`concord.domain.merkle`). Appends are serialised: on SQLite by the write transaction's lock, on
PostgreSQL by a transaction-level advisory lock, so sequence numbers have no gaps or races.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    and_,
    func,
    insert,
    or_,
    select,
    text,
)

from concord.domain.audit import AuditEntry
from concord.domain.errors import StateConflict
from concord.domain.markings import Marking, Reader
from concord.domain.merkle import Frontier, NodeKey, range_nodes
from concord.storage.policy import marking_values, visible_to
from concord.storage.schema import BigId, marking_columns, metadata

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=False),
    Column("time", String(32), nullable=False),  # exactly as hashed into the leaf
    Column("actor_person", Integer, nullable=True),
    Column("actor_nation", String(3), nullable=True),
    Column("action", String(200), nullable=False),
    Column("item_type", String(200), nullable=False),
    Column("item_id", String(200), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("request_id", String(200), nullable=True),
    Column("nonce", String(32), nullable=False),
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

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("size", BigId, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("note", Text, nullable=False),  # the signed note as the centre signed it
    # Consistency proof from the previous checkpoint, made when this one was issued (hex, concatenated):
    # exports carry the proofs as they were, not as a later rewrite of audit_nodes would make them.
    Column("proof", Text, nullable=False),
)

audit_cosignatures = Table(
    "audit_cosignatures",
    metadata,
    Column("size", BigInteger, nullable=False),
    Column("nation", String(3), nullable=False),
    Column("line", Text, nullable=False),  # the signed-note signature line
    Column("signed_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("size", "nation"),
)

audit_witnesses = Table(
    "audit_witnesses",
    metadata,
    Column("nation", String(3), primary_key=True),
    Column("vkey", Text, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("registered_by", Integer, nullable=True),
)

_AUDIT_LOCK = 7_340_002  # advisory lock key serialising audit appends on PostgreSQL
_ENTRY_FIELDS = (
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
        mark = "?" if self.conn.dialect.paramstyle == "qmark" else "%s"
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
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _AUDIT_LOCK})


def tree_size(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(audit_entries.c.seq) + 1, 0))).scalar_one())


@dataclass(frozen=True, slots=True)
class TreeHead:
    """The right edge of the stored tree after an append, kept in memory to spare the next append
    its O(log n) lookups. It is trusted only while the stored last leaf still matches it."""

    size: int
    last_leaf: bytes | None
    frontier: tuple[bytes, ...]


_LAST_LEAF = (
    select(audit_entries.c.seq, audit_entries.c.leaf_hash).order_by(audit_entries.c.seq.desc()).limit(1)
)
_ENTRY_COLUMNS = (
    "seq",
    *_ENTRY_FIELDS,
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
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
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
        fields = tuple(getattr(new, name) for name in _ENTRY_FIELDS)
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
    return AuditEntry(int(row.seq), *(getattr(row, name) for name in _ENTRY_FIELDS))


def readable_by(reader: Reader) -> Any:
    """Entries a nation sees in full: about items the reader may see, or done by its own people
    (at a level the reader is cleared for)."""
    c = audit_entries.c
    own = (
        and_(c.actor_nation == reader.nation, c.m_level <= int(reader.clearance)) if reader.may_read else None
    )
    return (
        or_(visible_to(audit_entries, reader), own) if own is not None else visible_to(audit_entries, reader)
    )


def entries_in_range(
    conn: Connection, reader: Reader, start: int, end: int
) -> list[tuple[AuditEntry | None, bytes]]:
    """Leaves [start, end) as (entry, stored leaf hash); entry None where the reader may not read it."""
    c = audit_entries.c
    readable = readable_by(reader).label("readable")
    rows = conn.execute(
        select(c.seq, c.leaf_hash, readable, *(c[name] for name in _ENTRY_FIELDS))
        .where(c.seq >= start, c.seq < end)
        .order_by(c.seq)
    )
    # Unreadable rows are fetched with their columns, but only the leaf hash leaves this function.
    return [(_entry(row) if row.readable else None, bytes(row.leaf_hash)) for row in rows]


def entry_leaf_hash(conn: Connection, seq: int) -> bytes | None:
    h = conn.execute(select(audit_entries.c.leaf_hash).where(audit_entries.c.seq == seq)).scalar_one_or_none()
    return None if h is None else bytes(h)


# --- checkpoints, cosignatures and witness keys ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckpointRow:
    size: int
    root_hash: bytes
    issued_at: datetime
    note: str
    proof: list[bytes]  # consistency proof from the previous checkpoint
    cosignatures: dict[str, str]  # nation -> signature line


def add_checkpoint(
    conn: Connection, size: int, root_hash: bytes, issued_at: datetime, note: str, proof: Sequence[bytes]
) -> None:
    conn.execute(
        insert(audit_checkpoints).values(
            size=size,
            root_hash=root_hash,
            issued_at=issued_at,
            note=note,
            proof="".join(h.hex() for h in proof),
        )
    )


def _proof(stored: str) -> list[bytes]:
    return [bytes.fromhex(stored[i : i + 64]) for i in range(0, len(stored), 64)]


def _cosignatures(conn: Connection, sizes: Sequence[int]) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {size: {} for size in sizes}
    if sizes:
        rows = conn.execute(select(audit_cosignatures).where(audit_cosignatures.c.size.in_(list(sizes))))
        for row in rows:
            out[int(row.size)][row.nation] = row.line
    return out


def _checkpoints(conn: Connection, query: Any) -> list[CheckpointRow]:
    rows = list(conn.execute(query))
    cosigned = _cosignatures(conn, [int(r.size) for r in rows])
    return [
        CheckpointRow(
            int(r.size), bytes(r.root_hash), r.issued_at, r.note, _proof(r.proof), cosigned[int(r.size)]
        )
        for r in rows
    ]


def latest_checkpoint(conn: Connection) -> CheckpointRow | None:
    found = _checkpoints(conn, select(audit_checkpoints).order_by(audit_checkpoints.c.size.desc()).limit(1))
    return found[0] if found else None


def checkpoint_at(conn: Connection, size: int) -> CheckpointRow | None:
    found = _checkpoints(conn, select(audit_checkpoints).where(audit_checkpoints.c.size == size))
    return found[0] if found else None


def all_checkpoints(conn: Connection, up_to: int | None = None) -> list[CheckpointRow]:
    query = select(audit_checkpoints).order_by(audit_checkpoints.c.size)
    if up_to is not None:
        query = query.where(audit_checkpoints.c.size <= up_to)
    return _checkpoints(conn, query)


def smallest_covering(conn: Connection, seq: int, nations: Sequence[str]) -> int | None:
    """The smallest checkpoint size covering entry `seq` that every one of `nations` cosigned."""
    if not nations:
        return None
    c = audit_cosignatures.c
    query = (
        select(c.size)
        .where(c.size > seq, c.nation.in_(list(nations)))
        .group_by(c.size)
        .having(func.count(func.distinct(c.nation)) == len(set(nations)))
        .order_by(c.size)
        .limit(1)
    )
    found = conn.execute(query).scalar_one_or_none()
    return None if found is None else int(found)


def largest_cosigned_by_all(conn: Connection, nations: Sequence[str]) -> int:
    """The size of the largest checkpoint every one of `nations` cosigned (0 if none): entries
    below it are witnessed by every nation."""
    if not nations:
        return 0
    c = audit_cosignatures.c
    query = select(func.max(c.size)).where(
        c.size.in_(
            select(c.size)
            .where(c.nation.in_(list(nations)))
            .group_by(c.size)
            .having(func.count(func.distinct(c.nation)) == len(set(nations)))
        )
    )
    found = conn.execute(query).scalar_one_or_none()
    return 0 if found is None else int(found)


def add_cosignature(conn: Connection, size: int, nation: str, line: str, signed_at: datetime) -> None:
    c = audit_cosignatures.c
    conn.execute(audit_cosignatures.delete().where(c.size == size, c.nation == nation))
    conn.execute(insert(audit_cosignatures).values(size=size, nation=nation, line=line, signed_at=signed_at))


def witness_keys(conn: Connection) -> dict[str, str]:
    return {row.nation: row.vkey for row in conn.execute(select(audit_witnesses))}


def set_witness_key(conn: Connection, nation: str, vkey: str, at: datetime, by: int | None) -> None:
    conn.execute(audit_witnesses.delete().where(audit_witnesses.c.nation == nation))
    conn.execute(insert(audit_witnesses).values(nation=nation, vkey=vkey, registered_at=at, registered_by=by))
