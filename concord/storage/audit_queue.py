"""The audit log's queue: leaves written by writers, integrated into the tree by one sequencer.

The Merkle log needs gap-free sequence numbers, and numbering a leaf in the writer's transaction
means holding the tree's lock until that transaction commits: every write of the centre one at a
time. On PostgreSQL a writer instead queues its leaves (`audit_pending`, no sequence number, no
lock) in its own transaction, so they are as durable as the change they record; a sequencer
(`integrate`) later numbers a batch of committed ones into the tree, as Trillian's sequencer and
Tessera's integration do:

- One sequencer at a time across every process: `Lock.AUDIT_APPEND`, held by the integrating
  transaction. The background loop of each process only *tries* it (another process integrating is
  the same as this one doing it); readers that must see every leaf wait for it.
- A batch is one transaction: the leaves and subtrees are written and their queue rows deleted, or
  nothing is. A sequencer killed mid-batch leaves the queue as it was, and its lock is released with
  its connection; the next one integrates the same rows, once.
- Queued rows are validated when queued: a row the sequencer cannot integrate would stop the log.

On SQLite the writer holds the database's write lock anyway, so leaves go straight into the tree in
the writer's transaction, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import BigInteger, Column, Connection, Table, delete, func, insert, select

from concord.domain.audit import AuditEntry
from concord.storage.audit import ENTRY_FIELDS, NewEntry, TreeHead, append_entries, leaf_columns
from concord.storage.db import Database
from concord.storage.dialect import POSTGRESQL, Lock, hold, is_postgresql, many, name, one_of, try_hold
from concord.storage.policy import marking_from_row, marking_values
from concord.storage.schema import BigId, marking_columns, metadata

audit_pending = Table(
    "audit_pending",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    *leaf_columns(),
    Column("event_id", BigInteger, nullable=True),
    *marking_columns(),
)

#: Leaves integrated per transaction: big enough to amortise a commit, small enough to stay short.
BATCH = 2000


def record(conn: Connection, entries: Sequence[NewEntry], cached: TreeHead | None) -> TreeHead | None:
    """Record leaves in the writer's transaction: queued on PostgreSQL, appended on SQLite. Returns
    the tree head to keep once this transaction commits (unchanged when queued)."""
    if not entries:
        return cached
    if not is_postgresql(conn):
        return append_entries(conn, entries, cached)[1]
    for new in entries:  # what the sequencer would refuse, refused now, in the writer's transaction
        AuditEntry(0, *(getattr(new, name) for name in ENTRY_FIELDS)).validate()
    conn.execute(insert(audit_pending), [
        {**{name: getattr(new, name) for name in ENTRY_FIELDS}, "event_id": new.event_id,
         **marking_values(new.marking)}
        for new in entries
    ])
    return cached


def queues(db: Database) -> bool:
    """Whether writers on this store queue their leaves for a sequencer (PostgreSQL) rather than
    appending them to the tree themselves (SQLite): a sequencer loop has work only when they do."""
    return db.dialect == POSTGRESQL


def waiting(conn: Connection) -> bool:
    """Whether any committed leaf waits for the sequencer (never, on SQLite)."""
    return bool(conn.execute(select(select(audit_pending.c.id).limit(1).exists())).scalar_one())


def pending(conn: Connection) -> int:
    """How many committed leaves wait for the sequencer."""
    return int(conn.execute(select(func.count()).select_from(audit_pending)).scalar_one())


def integrate(conn: Connection, cached: TreeHead | None, *, wait: bool = True, batch: int = BATCH,
              midway: Callable[[], object] | None = None) -> tuple[int, TreeHead | None]:
    """In the caller's transaction: take the sequencer's lock (or return (0, cached) at once if another
    transaction holds it and not `wait`), then number up to `batch` queued leaves, oldest first, into
    the tree and delete them from the queue. Returns how many, and the tree head after them.
    `midway` runs after the leaves are written and before the queue rows go (tests kill it there)."""
    if not is_postgresql(conn):
        return 0, cached
    if wait:
        hold(conn, Lock.AUDIT_APPEND)
    elif not try_hold(conn, Lock.AUDIT_APPEND):
        return 0, cached
    rows = conn.execute(select(audit_pending).order_by(audit_pending.c.id).limit(batch)).all()
    if not rows:
        return 0, cached
    entries = [_new_entry(row._mapping) for row in rows]
    _, head = append_entries(conn, entries, cached)
    if midway is not None:
        midway()
    ids = [int(row.id) for row in rows]
    # By id, not "id <= last": a writer that took a smaller id may commit after this snapshot.
    conn.execute(delete(audit_pending).where(one_of(name(conn), audit_pending.c.id, "ids")),
                 {"ids": many(name(conn), ids)})
    return len(rows), head


def _new_entry(row: Any) -> NewEntry:
    fields: dict[str, Any] = {name: row[name] for name in ENTRY_FIELDS}
    return NewEntry(**fields, marking=marking_from_row(row), event_id=row["event_id"])
