"""The order of the event log: each event's `position`, the number readers resume after.

The guarantee every follower rests on: once a reader has seen position N, no event ever appears
later with a position at or below N, and every event gets exactly one position. Insert order cannot
give that on PostgreSQL without a lock held through commit (ids come from a sequence, and a
transaction that took id 7 may commit after one that took id 8). So events are written without a
position and ordered after they commit:

- PostgreSQL: right after its commit, the writer orders every committed event still without a
  position (its own and anyone else's), in one short transaction under `Lock.EVENT_ORDER`, taking
  positions after the largest one given. Positions are given in commits of that transaction, one at
  a time, each above every earlier one, so a reader's snapshot holds a gap-free prefix of positions:
  nothing can appear below what it has read. Writers no longer wait for each other's commits; one
  ordering transaction orders everything committed before it, so under load most writers find their
  events already ordered and take no lock at all. A writer that dies between its commit and the
  ordering leaves its events to the next writer or to `order_pending`, which every process runs
  every second (a few rows, found by a partial index).
- SQLite: a writer holds the database's write lock until commit, so its events are ordered in its
  own transaction (position = id).

Rows another transaction holds locked (one re-marking old events) are skipped and ordered by the next
round: a later position is still a correct one, and nothing waits on anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Engine, text

from concord.storage.dialect import Lock, hold, is_postgresql

# Written as text, not with the `events` Table: `storage.db` runs these, and `storage.events`
# (which defines the table) builds on `storage.db`.
_ORDER_OWN = text("UPDATE events SET position = id WHERE position IS NULL")
_STATE_OF = text(
    "SELECT count(*) FILTER (WHERE position IS NULL), coalesce(max(position), 0) FROM events WHERE id = ANY(:ids)")
_ANY_PENDING = text("SELECT EXISTS (SELECT 1 FROM events WHERE position IS NULL)")
_TOP = text("SELECT coalesce(max(position), 0) FROM events")
_ORDER_COMMITTED = text("""
WITH top AS (SELECT coalesce(max(position), 0) AS p FROM events),
     locked AS (SELECT id FROM events WHERE position IS NULL ORDER BY id FOR UPDATE SKIP LOCKED),
     numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM locked)
UPDATE events SET position = top.p + numbered.n
FROM top, numbered WHERE events.id = numbered.id
RETURNING events.position
""")


def order_in_transaction(conn: Connection) -> None:
    """SQLite, before commit: this transaction's events take their ids as positions (the write lock
    orders transactions, and ids only grow). Nothing to do on PostgreSQL (see `order_committed`)."""
    if not is_postgresql(conn):
        conn.execute(_ORDER_OWN)


def order_committed(conn: Connection, ids: Sequence[int]) -> int:
    """After the commit that wrote events `ids` (on `conn`, outside any transaction): make sure they
    have positions; returns a position at least as high as theirs (what the bus announces)."""
    if not is_postgresql(conn):
        return int(max(ids))  # ordered in their own transaction: position = id
    with conn.begin():
        unordered, top = conn.execute(_STATE_OF, {"ids": list(ids)}).one()
    if not unordered:
        return int(top)
    with conn.begin():
        return _order(conn)[1]


def order_pending(engine: Engine) -> tuple[int, int]:
    """Order whatever committed events are still without a position (a writer died between its
    commit and ordering them); returns how many were ordered and the top position. Cheap when none."""
    with engine.connect() as conn:
        if not is_postgresql(conn):
            return 0, 0  # SQLite orders inside each writer's transaction
        with conn.begin():
            if not conn.execute(_ANY_PENDING).scalar_one():
                return 0, 0
        with conn.begin():
            return _order(conn)


def _order(conn: Connection) -> tuple[int, int]:
    """Under the ordering lock, give every unordered committed event the next positions; returns how
    many were ordered and the highest position given so far."""
    hold(conn, Lock.EVENT_ORDER)
    # READ COMMITTED: this statement's snapshot is taken after the lock was granted, so it sees the
    # positions the previous holder committed and every event committed before now.
    given = [int(p) for p in conn.execute(_ORDER_COMMITTED).scalars()]
    return len(given), max(given) if given else int(conn.execute(_TOP).scalar_one())
