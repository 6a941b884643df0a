"""The event log's order on the real PostgreSQL server, with no lock held through commit.

Many writers append at once (some roll back, some hold their transaction open a while, some commit
and "die" before ordering their events, left to the background ordering); readers read in small
batches, and now and then resume from a random position they have seen, as a reconnecting client
does. Every committed event must reach every reader exactly once, in one order all readers agree on,
with gap-free positions; no rolled-back event may ever appear.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from concord.domain.markings import Level, Marking, Reader
from concord.storage.db import Database, Tx
from concord.storage.event_order import order_pending
from concord.storage.events import append_event, events_after, latest_event_id
from tests.conftest import _wipe_postgres

RUN_SECONDS = 12.0
WRITERS = 16
READERS = 4
MARKING = Marking.build(Level.RESTRICTED, "TUR", ["IRQ"])
READER = Reader(None, "IRQ", Level.SECRET)
AT = datetime(2026, 1, 1, tzinfo=UTC)


class Rollback(Exception):
    pass


@pytest.fixture
def db(postgres_database: str) -> Iterator[Database]:
    _wipe_postgres(postgres_database)
    database = Database(postgres_database)
    yield database
    database.dispose()


def _append(tx: Tx, key: str) -> None:
    append_event(tx, at=AT, kind="test.ordered", item_type="test", item_id=key, marking=MARKING,
                 payload={"key": key})


def _writer(db: Database, number: int, stop: threading.Event, committed: set[str], rolled_back: set[str],
            lock: threading.Lock) -> None:
    rng = random.Random(number)
    n = 0
    while not stop.is_set():
        keys = [f"w{number}-{n + i}" for i in range(rng.choice((1, 1, 1, 2, 5)))]
        n += len(keys)
        fate = rng.random()
        try:
            if fate < 0.05:
                # Commits, then dies before ordering: its events wait for the background ordering.
                with db.engine.connect() as conn, conn.begin():
                    tx = Tx(conn)
                    for key in keys:
                        _append(tx, key)
            else:
                with db.write() as tx:
                    for key in keys:
                        _append(tx, key)
                    if fate < 0.25:  # slow: holds its transaction open while others commit
                        time.sleep(rng.uniform(0.001, 0.05))
                    if fate > 0.85:
                        raise Rollback
        except Rollback:
            with lock:
                rolled_back.update(keys)
            continue
        with lock:
            committed.update(keys)


def _reader(db: Database, number: int, stop: threading.Event, seen: dict[int, str], failures: list[str]) -> None:
    """Read forward in small batches; now and then resume from an earlier position and check that the
    log from there is exactly what was read before (a stable order), then carry on."""
    rng = random.Random(1000 + number)
    position = 0
    while True:
        draining = stop.is_set()
        with db.read() as conn:
            batch = events_after(conn, READER, position, limit=rng.randint(1, 40))
        for event in batch:
            if event.id in seen:
                failures.append(f"reader {number}: position {event.id} delivered twice")
            if event.id <= position:
                failures.append(f"reader {number}: position {event.id} after {position}")
            seen[event.id] = event.item_id
            position = event.id
        if seen and rng.random() < 0.05:
            resume = rng.choice(list(seen))
            with db.read() as conn:
                again = events_after(conn, READER, resume, limit=200)
            expected = [(p, seen[p]) for p in sorted(seen) if p > resume][:len(again)]
            got = [(e.id, e.item_id) for e in again][:len(expected)]
            differ = next((i for i, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b), None)
            if differ is not None:
                failures.append(f"reader {number}: resuming after {resume} gave {got[differ]} where it first read "
                                f"{expected[differ]}")
        if draining and not batch:
            return


def _sweeper(db: Database, stop: threading.Event) -> None:
    while not stop.is_set():
        order_pending(db.engine)
        time.sleep(0.2)


def test_every_committed_event_reaches_every_reader_once_in_one_order(db: Database) -> None:
    stop, readers_stop = threading.Event(), threading.Event()
    committed: set[str] = set()
    rolled_back: set[str] = set()
    lock = threading.Lock()
    seen: list[dict[int, str]] = [{} for _ in range(READERS)]
    failures: list[str] = []
    writers = [threading.Thread(target=_writer, args=(db, i, stop, committed, rolled_back, lock))
               for i in range(WRITERS)]
    readers = [threading.Thread(target=_reader, args=(db, i, readers_stop, seen[i], failures))
               for i in range(READERS)]
    sweeper = threading.Thread(target=_sweeper, args=(db, readers_stop))
    for thread in (*writers, *readers, sweeper):
        thread.start()
    time.sleep(RUN_SECONDS)
    stop.set()
    for thread in writers:
        thread.join()
    # Every writer is done: what a dead writer left unordered is ordered by the sweep; then drain.
    order_pending(db.engine)
    readers_stop.set()
    for thread in (*readers, sweeper):
        thread.join()

    assert failures == []
    assert len(committed) > 500 and rolled_back  # the run was busy enough to mean something
    with db.read() as conn:
        top = latest_event_id(conn)
        unordered = conn.execute(text("SELECT count(*) FROM events WHERE position IS NULL")).scalar_one()
    assert unordered == 0
    assert top == len(committed)
    for view in seen:
        assert sorted(view) == list(range(1, top + 1))  # gap-free positions
        assert set(view.values()) == committed  # every committed event, no rolled-back one
        assert view == seen[0]  # one order for every reader


def test_events_a_dead_writer_left_are_announced_once_the_sweep_orders_them(db: Database) -> None:
    published: list[int] = []
    db.on_commit(published.append)
    with db.write() as tx:  # a live write: its own announcement (and the sequencer thread running)
        _append(tx, "alive")
    assert published == [1]
    with db.engine.connect() as conn, conn.begin():  # commits, then "dies" before ordering
        _append(Tx(conn), "dead")
    deadline = time.monotonic() + 10
    while published == [1]:
        assert time.monotonic() < deadline, "the swept event was never announced"
        time.sleep(0.05)
    assert published == [1, 2]  # the sweep announced it: subscribers need not wait for their poll


def test_a_write_returns_only_once_its_events_have_positions_and_announces_them(db: Database) -> None:
    """Writers ride on an ordering round that has not taken its snapshot yet (and ask for the next one
    otherwise): whichever, when `write` returns its events are ordered, and the position it announces
    covers them. Many writers at once, so commits land before, during and after each round's seal."""
    announced = threading.local()
    db.on_commit(lambda top: setattr(announced, "top", top))
    failures: list[str] = []
    stop = threading.Event()

    def write(number: int) -> None:
        n = 0
        while not stop.is_set():
            key = f"r{number}-{n}"
            n += 1
            announced.top = 0
            with db.write() as tx:
                _append(tx, key)
            with db.read() as conn:
                position = conn.execute(text("SELECT position FROM events WHERE item_id = :k"), {"k": key}).scalar()
            if position is None or announced.top < position:
                failures.append(f"{key}: position {position} once written, announced {announced.top}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    time.sleep(5)
    stop.set()
    for thread in threads:
        thread.join()
    with db.read() as conn:
        written = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
    assert written > 100
    assert failures == []
