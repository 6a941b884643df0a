"""The order TAXII serves intel versions in, on the real PostgreSQL server, with no lock on the whole
centre held through commit (storage/intel_order.py).

Many writers ingest at once through the service (some roll back, some hold their transaction open a
while, some commit and "die" before ordering their versions, and several write new versions of the
same shared objects at once); readers page with `added_after` or `next` from random points, as
pollers do. Every committed version must reach every reader exactly once, in one stable order with
strictly increasing date_added; no rolled-back version may ever appear.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from concord.centre import Centre
from concord.clock import SystemClock
from concord.domain.intel_query import Cursor, ObjectQuery, VersionMatch, render_timestamp
from concord.domain.markings import Reader
from concord.domain.people import Actor
from concord.domain.stix import RawItem, timestamp_key
from concord.storage.db import Tx
from concord.storage.intel_order import order_pending
from concord.storage.intel_read import VersionRow, taxii_page
from tests.conftest import _wipe_postgres, fast_settings
from tests.factories import person
from tests.intel_factories import indicator, stix_id

RUN_SECONDS = 10.0
WRITERS = 8
READERS = 3
#: Objects every writer writes new versions of: their writers must take turns, not collide.
SHARED = [stix_id("indicator") for _ in range(6)]
ALL_VERSIONS = VersionMatch(all=True, last=False)
_modified = itertools.count(1)
_modified_lock = threading.Lock()
BASE = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)

Version = tuple[str, str]  # (STIX id, version key)


class Rollback(Exception):
    pass


@pytest.fixture
def centre(postgres_database: str, tmp_path: Path) -> Iterator[Centre]:
    _wipe_postgres(postgres_database)
    c = Centre(fast_settings(postgres_database, tmp_path / "data"), clock=SystemClock())
    c.nations.add("TUR", "Türkiye")
    c.nations.add("IRQ", "Iraq")
    yield c
    c.close()


def _object(shared: bool) -> dict[str, object]:
    with _modified_lock:
        n = next(_modified)
    modified = (BASE + timedelta(milliseconds=n)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    obj = indicator(f"198.51.100.{n % 250}", modified=modified)
    if shared:
        obj["id"] = random.choice(SHARED)
    return obj


def _writer(centre: Centre, actor: Actor, number: int, stop: threading.Event, committed: set[Version],
            rolled_back: set[Version], lock: threading.Lock, failures: list[str]) -> None:
    try:
        _write(centre, actor, number, stop, committed, rolled_back, lock)
    except Exception as exc:  # a writer that dies is a failure of the test, not a quiet thread
        failures.append(f"writer {number}: {exc!r}")


def _write(centre: Centre, actor: Actor, number: int, stop: threading.Event, committed: set[Version],
           rolled_back: set[Version], lock: threading.Lock) -> None:
    rng = random.Random(number)
    while not stop.is_set():
        objects = [_object(shared=rng.random() < 0.1) for _ in range(rng.choice((1, 1, 2, 5, 20)))]
        objects = list({str(o["id"]): o for o in objects}.values())  # one version per object per request
        items = [RawItem(json.dumps(o), o) for o in objects]
        versions = {(str(o["id"]), timestamp_key(str(o["modified"]))) for o in objects}
        fate = rng.random()
        try:
            if fate < 0.05:
                # Commits, then dies before ordering: its versions wait for the next round anyone runs.
                with centre.db.engine.connect() as conn, conn.begin():
                    result = centre.intel.ingest_in(Tx(conn), actor, items)
            else:
                with centre.db.write() as tx:
                    result = centre.intel.ingest_in(tx, actor, items)
                    if fate < 0.25:  # slow: holds its transaction (and its objects) open while others commit
                        time.sleep(rng.uniform(0.001, 0.05))
                    if fate > 0.85:
                        raise Rollback
        except Rollback:
            with lock:
                rolled_back.update(versions)
            continue
        assert not result.failures, result.failures
        with lock:
            committed.update(versions)


def _page(centre: Centre, reader: Reader, after: VersionRow | None, by_header: bool, limit: int) -> list[VersionRow]:
    if after is None:
        query = ObjectQuery(versions=ALL_VERSIONS, limit=limit)
    elif by_header:  # what a poller reads back: X-TAXII-Date-Added-Last, as the server renders it
        query = ObjectQuery(versions=ALL_VERSIONS, limit=limit,
                            added_after=timestamp_key(render_timestamp(after.date_added)))
    else:  # the `next` token
        query = ObjectQuery(versions=ALL_VERSIONS, limit=limit, after=Cursor(after.date_added, after.row_id))
    with centre.db.read() as conn:
        return taxii_page(conn, reader, query, with_raw=False).rows


def _reader(centre: Centre, reader: Reader, number: int, stop: threading.Event, seen: list[VersionRow],
            failures: list[str]) -> None:
    """Page forward; now and then resume from an earlier point and check that the feed from there is
    exactly what was read before (nothing appeared inside it), then carry on."""
    rng = random.Random(1000 + number)
    while True:
        draining = stop.is_set()
        rows = _page(centre, reader, seen[-1] if seen else None, rng.random() < 0.5, rng.randint(1, 40))
        for row in rows:
            if seen and (row.date_added, row.row_id) <= (seen[-1].date_added, seen[-1].row_id):
                failures.append(f"reader {number}: {row.date_added} served after {seen[-1].date_added}")
            seen.append(row)
        if seen and rng.random() < 0.05:
            k = rng.randrange(-1, len(seen))
            again = _page(centre, reader, seen[k] if k >= 0 else None, rng.random() < 0.5, 200)
            before = [r.row_id for r in seen[k + 1:]][:len(again)]
            got = [r.row_id for r in again][:len(before)]
            differ = next((i for i, (a, b) in enumerate(zip(got, before, strict=True)) if a != b), None)
            if differ is not None:
                failures.append(f"reader {number}: resuming after its row {k} read row {got[differ]} where it "
                                f"first read row {before[differ]}")
        if draining and not rows:
            return


def test_every_committed_version_reaches_every_poller_once_in_one_order(centre: Centre) -> None:
    person_id, _ = person(centre, "TUR")
    actor = centre.people.actor(person_id)
    stop, readers_stop = threading.Event(), threading.Event()
    committed: set[Version] = set()
    rolled_back: set[Version] = set()
    lock = threading.Lock()
    seen: list[list[VersionRow]] = [[] for _ in range(READERS)]
    failures: list[str] = []
    writers = [threading.Thread(target=_writer, args=(centre, actor, i, stop, committed, rolled_back, lock, failures))
               for i in range(WRITERS)]
    readers = [threading.Thread(target=_reader, args=(centre, actor.reader, i, readers_stop, seen[i], failures))
               for i in range(READERS)]
    for thread in (*writers, *readers):
        thread.start()
    time.sleep(RUN_SECONDS)
    stop.set()
    for thread in writers:
        thread.join()
    # Every writer is done: what a dead writer left unordered is ordered now (the indexer would).
    order_pending(centre.db.engine, SystemClock().now())
    readers_stop.set()
    for thread in readers:
        thread.join()

    assert not failures, failures[:10]
    assert len(committed) > 500 and rolled_back, (len(committed), len(rolled_back))
    assert any(v[0] in SHARED for v in committed)
    for number, rows in enumerate(seen):
        got = [(r.stix_id, r.version) for r in rows]
        assert len(got) == len(set(got)), f"reader {number} saw a version twice"
        assert set(got) == committed, (
            f"reader {number}: {len(committed - set(got))} committed versions missed, "
            f"{len(set(got) - committed)} never committed seen")
        keys = [r.date_added for r in rows]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)  # strictly increasing date_added
    assert [r.row_id for r in seen[0]] == [r.row_id for r in seen[1]]  # one order for everyone
    # Writers of one object took turns: each shared object's latest version is its newest, and only it.
    with centre.db.read() as conn:
        for shared in SHARED:
            newest = max((v for s, v in committed if s == shared), default=None)
            latest = taxii_page(conn, actor.reader, ObjectQuery(limit=10), stix_id=shared, with_raw=False).rows
            assert [r.version for r in latest] == ([newest] if newest else []), shared
