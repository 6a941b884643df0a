"""The order of the event log: each event's `position`, the number readers resume after.

The guarantee every follower rests on: once a reader has seen position N, no event ever appears
later with a position at or below N, and every event gets exactly one position. Insert order cannot
give that on PostgreSQL without a lock held through commit (ids come from a sequence, and a
transaction that took id 7 may commit after one that took id 8). So events are written without a
position and ordered after they commit:

- PostgreSQL: each process has one `Sequencer` thread. A writer, once committed, asks it and waits
  for a round that started after its commit. A round takes `Lock.EVENT_ORDER`, gives every committed
  event still without a position (anyone's) the next positions above the largest one given, and
  commits. Rounds run one at a time across every process (the lock), each snapshot taken after the
  lock is granted, so each sees the previous round's positions and numbers strictly above them:
  every snapshot holds a gap-free prefix 1..top, and nothing can appear below what a reader has
  read. Writers no longer wait for each other's commits (PostgreSQL groups them), and one round
  serves every writer that committed before it. Events whose writer died after commit are ordered
  by the next round or by the sequencer's sweep every `SWEEP_SECONDS`.
- SQLite: a writer holds the database's write lock until commit, so its events are ordered in its
  own transaction (position = id).

Rows another transaction holds locked (one re-marking old events) are skipped and ordered by the next
round: a later position is still a correct one, and nothing waits on anything.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Connection, Engine, text

from concord.storage.dialect import Lock, hold, is_postgresql

log = logging.getLogger("concord.storage")

#: The longest a writer waits for its events' positions before leaving them to the next round.
WAIT_SECONDS = 10.0
#: How often the sequencer looks for events nobody asked it to order (a writer died after commit).
SWEEP_SECONDS = 1.0

# Written as text, not with the `events` Table: `storage.db` runs these, and `storage.events`
# (which defines the table) builds on `storage.db`.
_ORDER_OWN = text("UPDATE events SET position = id WHERE position IS NULL")
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


def order_pending(engine: Engine) -> tuple[int, int]:  # one round, outside any sequencer
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


def _order(conn: Connection, before_snapshot: Callable[[], None] | None = None) -> tuple[int, int]:
    """Under the ordering lock, give every unordered committed event the next positions; returns how
    many were ordered and the highest position given so far. `before_snapshot` runs once the lock is
    held, just before the statement whose snapshot decides which events this round orders."""
    hold(conn, Lock.EVENT_ORDER)
    if before_snapshot is not None:
        before_snapshot()
    # READ COMMITTED: this statement's snapshot is taken after the lock was granted, so it sees the
    # positions the previous holder committed and every event committed before now.
    given = [int(p) for p in conn.execute(_ORDER_COMMITTED).scalars()]
    return len(given), max(given) if given else int(conn.execute(_TOP).scalar_one())


class Sequencer:
    """The ordering of one process's writes on PostgreSQL, in one thread with its own connection.

    A writer that committed events calls `wait_ordered()`: it waits until an ordering round whose
    snapshot was taken after its commit has finished (that round's snapshot holds the writer's events,
    so they have positions). A round *seals* (`_sealed`) just before it sends the statement that takes
    its snapshot, so a writer whose commit returned before the seal rides on that round, even one
    already waiting for the lock behind another process's round; a writer that finds the current
    round sealed asks for the next. One round serves every writer that committed before its seal,
    so under load a single ordering commit covers many writes, and writers' own commits are never
    held up by it. Every `SWEEP_SECONDS` the thread also orders what nobody asked for (events whose
    writer died after commit). Sequencers of several processes share `Lock.EVENT_ORDER`: each round
    orders everything committed, whoever wrote it.
    """

    def __init__(self, engine: Engine, on_swept: Callable[[int], None] | None = None) -> None:
        self.engine = engine
        #: Told the top position after a sweep ordered what nobody asked for (the bus announces it).
        self.on_swept = on_swept
        self._changed = threading.Condition()
        self._started = 0  # rounds started
        self._sealed = 0  # rounds that took (or are taking) their snapshot: too late to ride on
        self._finished = 0  # rounds finished (in order: one thread runs them)
        self._top = 0  # the highest position the last round saw
        self._asked = False
        self._closed = False
        self._thread: threading.Thread | None = None

    def wait_ordered(self) -> int:
        """After a commit that wrote events: return once they have positions, with a position at
        least as high as theirs (what the bus announces); 0 if ordering failed for `WAIT_SECONDS`
        (logged; the sweep orders them later)."""
        deadline = time.monotonic() + WAIT_SECONDS
        with self._changed:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="concord-event-order", daemon=True)
                self._thread.start()
            # The first round not sealed yet: its snapshot will be taken after this commit returned.
            target = self._sealed + 1
            if target > self._started:  # no such round running: ask for one
                self._asked = True
                self._changed.notify_all()
            while self._finished < target:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    log.error("events committed but not ordered within %.0f s; the sweep will order them",
                              WAIT_SECONDS)
                    return 0
                self._changed.wait(left)
            return self._top

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(WAIT_SECONDS)

    def _run(self) -> None:
        conn: Connection | None = None
        while True:
            with self._changed:
                if not self._asked and not self._closed:
                    self._changed.wait(SWEEP_SECONDS)
                if self._closed:
                    break
                asked, self._asked = self._asked, False
                self._started += 1
                number = self._started
            top = self._top

            def seal(number: int = number) -> None:
                with self._changed:
                    self._sealed = number

            try:
                conn = conn or self.engine.connect()
                ordered, top = _round(conn, swept=not asked, before_snapshot=seal)
            except Exception:
                log.exception("ordering committed events failed; retrying")
                if conn is not None:
                    conn.invalidate()
                    conn.close()
                    conn = None
                with self._changed:
                    self._started -= 1  # not a round: writers waiting for it wait for the next
                    self._sealed = min(self._sealed, self._started)
                    # Writers that rode on it wait for the next, which must run even if nobody asks again.
                    self._asked = True
                time.sleep(0.1)
                continue
            with self._changed:
                self._finished = number
                self._top = max(self._top, top)
                self._changed.notify_all()
            if ordered and not asked and self.on_swept is not None:
                # A dead writer's events: no one else will announce them.
                try:
                    self.on_swept(top)
                except Exception:
                    log.exception("announcing swept events failed")
        if conn is not None:
            conn.close()


def _round(conn: Connection, *, swept: bool, before_snapshot: Callable[[], None] | None = None) -> tuple[int, int]:
    """One ordering round on `conn`; returns how many events it ordered and the top position. A
    sweep (nobody asked) first checks, without the lock, that anything is unordered at all; that
    check's snapshot decides too, so the round seals before it."""
    if swept:
        if before_snapshot is not None:
            before_snapshot()
        with conn.begin():
            if not conn.execute(_ANY_PENDING).scalar_one():
                return 0, int(conn.execute(_TOP).scalar_one())
    with conn.begin():
        return _order(conn, before_snapshot)
