"""The intelligence indexer: full-text search and correlation as indexes fed from the event log.

An ingest's acknowledged transaction keeps only what the guarantee needs (objects, versions,
markings, events): an object is durable and visible by id, TAXII listing, manifest and versions to
everyone the policy lets see it once the request answers. This follower of the event log reads each
`intel.published` event after its position, (re)indexes the text of the objects it names, indexes
their observable values and records and announces the correlations they make
(services/intel_correlation.py), and saves its position, all in one transaction
(`follow.durable_step`): one process at a time across the centre, resuming where the last committed
batch stopped after a crash or `kill -9`, so no correlation is lost or announced twice.

Releasability never depends on the index: every search applies the policy in its own query, so a
narrowed release hides an object from search at once, indexed or not. How far the index is behind
is in `/metrics` (follower `intel-index`) and in each search answer (`objects_behind`).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

from sqlalchemy import Connection

from concord.bus.base import EventBus
from concord.clock import Clock
from concord.domain.markings import Reader
from concord.domain.observables import digests, extract
from concord.services.follow import Follower, Followers, Progress, durable, durable_batch
from concord.services.intel_correlation import DEFAULT_CAP, Indexed, forget_digests, index_objects
from concord.storage import intel_index as store
from concord.storage.db import Database, Tx
from concord.storage.events import latest_event_id
from concord.storage.follower_positions import load_position
from concord.storage.intel_order import order_pending
from concord.storage.intel_search import index_text

NAME = "intel-index"
#: At most this many publications a batch, and no more once this many objects are in it: a batch is
#: one write transaction, short enough not to hold up the ingests queued behind it.
BATCH_EVENTS = 200
BATCH_OBJECTS = 2000
#: With no publication to index, the follower moves on without a write (a busy chat channel wakes it
#: a hundred times a second), and saves its position only once this many events lie beyond it.
IDLE_SAVE_EVENTS = 1000


class IntelIndexer:
    def __init__(self, db: Database, clock: Clock, *, cap: int = DEFAULT_CAP, batch_events: int = BATCH_EVENTS,
                 batch_objects: int = BATCH_OBJECTS) -> None:
        self.db = db
        self.clock = clock
        #: A value held by this many objects no longer correlates (services/intel_correlation.py).
        self.cap = cap
        self.batch_events = batch_events
        self.batch_objects = batch_objects
        self._batch = durable_batch(db, NAME, self.work, clock)
        self._progress = threading.Condition()

    # --- the follower ----------------------------------------------------------------------
    def work(self, tx: Tx, position: int, latest: int) -> Progress:
        """One batch, in the transaction that saves the position (`follow.durable_step`)."""
        top = latest_event_id(tx.conn)
        found = store.publications(tx.conn, position, top, self.batch_events)
        taken: list[store.Publication] = []
        count = 0
        for publication in found:
            taken.append(publication)
            count += len(publication.object_ids)
            if count >= self.batch_objects:
                break
        more = len(taken) < len(found) or len(found) == self.batch_events
        self._index(tx, taken)
        return Progress(taken[-1].position if more else max(position, top), more)

    def _index(self, tx: Tx, publications: list[store.Publication]) -> None:
        actor_of: dict[int, int | None] = {}
        for publication in publications:  # in log order; an object named twice keeps its last publisher
            for object_id in publication.object_ids:
                actor_of.pop(object_id, None)
                actor_of[object_id] = publication.actor_id
        if not actor_of:
            return
        objects = store.current(tx.conn, list(actor_of))  # gone since (deleted): nothing to index
        index_text(tx.conn, list(objects))
        indexed: list[Indexed] = []
        for object_id, actor_id in actor_of.items():
            obj = objects.get(object_id)
            if obj is None:
                continue
            values = digests(extract(json.loads(obj.raw)))
            if obj.revoked:  # a revoked object no longer correlates
                forget_digests(tx, object_id, values.values())
                continue
            indexed.append(Indexed(object_id, obj.stix_id, obj.stix_type, obj.title, obj.marking, values, actor_id))
        index_objects(tx, indexed, at=self.clock.now(), cap=self.cap)

    def follower(self, bus: EventBus, followers: Followers, *, poll_seconds: float = 2.0) -> Follower:
        """The background follower of a server process (every process runs one; the durable
        position's row lock lets one batch run at a time, whichever process runs it)."""
        async def step(position: int, latest: int) -> Progress:
            return await asyncio.to_thread(self._step, latest)

        return followers.follow(NAME, bus, step, start=durable(self.db, NAME), poll_seconds=poll_seconds)

    # --- catching up and waiting -------------------------------------------------------------
    def _step(self, latest: int) -> Progress:
        """A batch when there is something to index (or the saved position has fallen far behind);
        otherwise only a read: every event up to the head needs nothing from the indexer."""
        with self.db.read() as conn:
            saved = self.position(conn)
            pending = store.publication_after(conn, saved)
            top = latest_event_id(conn)
        if not pending and top - saved < IDLE_SAVE_EVENTS:
            return Progress(max(saved, top))
        if pending:
            # A publication whose writer died between its commit and ordering its versions would stay
            # out of TAXII listings until the next ingest: order it now (storage/intel_order.py).
            order_pending(self.db.engine, self.clock.now())
        return self._run_batch(latest)

    def _run_batch(self, latest: int) -> Progress:
        progress = self._batch(latest)
        with self._progress:
            self._progress.notify_all()
        return progress

    def catch_up(self) -> int:
        """Index everything committed so far, in this thread (an import, a command); the position reached."""
        while True:
            progress = self._run_batch(0)
            if not progress.more:
                return progress.position

    def position(self, conn: Connection | None = None) -> int:
        """Every publication up to this position is indexed (by whichever process ran the batch)."""
        if conn is not None:
            return load_position(conn, NAME) or 0
        with self.db.read() as read:
            return load_position(read, NAME) or 0

    def caught_up(self) -> bool:
        """Whether every publication committed so far is indexed."""
        with self.db.read() as conn:
            return not store.publication_after(conn, self.position(conn))

    def wait(self, timeout: float = 30.0) -> bool:
        """Wait until every publication committed so far is indexed (True), or until `timeout`
        (False). Woken by each batch this process runs; another process's batches are seen by
        reading the position again at least every half second."""
        deadline = time.monotonic() + timeout
        while True:
            if self.caught_up():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            with self._progress:
                self._progress.wait(min(left, 0.5))

    def state(self) -> tuple[int, int]:
        """(the indexer's position, how many objects published are not indexed yet, whoever may see
        them): for the operator of the centre (`concord demo`), never for a person's answer."""
        with self.db.read() as conn:
            position = self.position(conn)
            return position, store.objects_behind(conn, None, position)

    def objects_behind(self, reader: Reader) -> int:
        """How many objects `reader` may see that search cannot find yet (0 when caught up)."""
        with self.db.read() as conn:
            return store.objects_behind(conn, reader, self.position(conn))
