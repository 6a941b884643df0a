"""The deconfliction engine in a server process, kept current from the event log, and the conflict
records it produces.

Every process holds one `DeconflictionEngine`. It is rebuilt from storage at start-up and then
follows the event log: each event about an operation, activity or site makes the process reload that
item's footprint (idempotent, so a replayed event does no harm). A check that will write conflicts
runs inside the writer's transaction after catching up with the log (committed events still waiting
for their position included), and on PostgreSQL under an advisory lock, so two processes proposing
overlapping operations at the same moment cannot both miss each other (on SQLite the write lock
already serialises them).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import datetime

from sqlalchemy import Connection

from concord.bus.base import EventBus
from concord.clock import Clock, iso
from concord.domain.conflicts import Coarse, ConflictStatus
from concord.domain.deconfliction import DeconflictionEngine, Footprint, Overlap, zone_cells
from concord.domain.geo import to_geojson
from concord.domain.people import Actor
from concord.services.follow import Follower, Followers, Progress
from concord.storage import conflicts as conflict_store
from concord.storage.db import Database, Tx
from concord.storage.events import append_event, items_changed, latest_event_id
from concord.storage.footprints import all_footprints, footprint_of

log = logging.getLogger("concord.deconfliction")

FOLLOWED_ITEM_TYPES = ("operation", "activity", "site")
#: The background follow loop catches up at most this often (checks catch up by themselves).
FOLLOW_INTERVAL_SECONDS = 0.25


class DeconflictionService:
    def __init__(self, db: Database, clock: Clock, *, standoff_m: float, contact: str) -> None:
        self.db = db
        self.clock = clock
        self.standoff_m = standoff_m
        self.contact = contact
        self.engine = DeconflictionEngine()
        self._followed_to = 0
        self._lock = threading.Lock()
        self._loaded = False

    # ---------------------------------------------------------------- keeping the engine current

    def rebuild(self) -> int:
        """Load every footprint from storage; returns how many."""
        with self.db.read() as conn:
            # The log position first: anything committed after it is replayed by `catch_up`.
            position = latest_event_id(conn)
            footprints = all_footprints(conn, self.standoff_m)
        with self._lock:
            self.engine.rebuild(footprints)
            self._followed_to = position
            self._loaded = True
        return len(footprints.keys)

    def catch_up(self, conn: Connection) -> None:
        """Apply every footprint-changing event committed since the last one applied."""
        if not self._loaded:
            self.rebuild()
        with self._lock:
            # Committed events still to be ordered too: another process's check that committed just
            # before this one's lock was granted may not have its position yet (storage.event_order).
            changed, top = items_changed(conn, self._followed_to, FOLLOWED_ITEM_TYPES)
            keys = dict.fromkeys(f"{item_type}:{item_id}" for item_type, item_id in changed)
            for key in keys:
                footprint = footprint_of(conn, key, self.standoff_m)
                if footprint is None:
                    self.engine.remove(key)
                else:
                    self.engine.upsert(footprint)
            self._followed_to = max(self._followed_to, top)

    def follower(self, bus: EventBus, followers: Followers) -> Follower:
        """The background follower of a server process: catch up whenever the bus announces events.

        Every event wakes it (a busy chat channel: 100/s), yet it only keeps the engine warm: each
        check catches up inside its own transaction first. So it catches up at most a few times a
        second, in one read, rather than once per event."""
        return followers.follow("deconfliction", bus, self._follow_step, start=self._start, poll_seconds=5.0,
                                pause_seconds=FOLLOW_INTERVAL_SECONDS)

    def _start(self) -> int:
        if not self._loaded:   # a check may already have built it (it rebuilds on first use)
            self.rebuild()
        return self._followed_to

    async def _follow_step(self, position: int, latest: int) -> Progress:
        await asyncio.to_thread(self._catch_up_now)
        return Progress(self._followed_to)

    def _catch_up_now(self) -> None:
        with self.db.read() as conn:
            self.catch_up(conn)

    # ---------------------------------------------------------------- checks and records

    def check_in(self, tx: Tx, footprint: Footprint) -> list[Overlap]:
        # Lock the cells of the zone it had (as last committed) and the zone it will have: a check
        # nearby either waits for this one or is waited for, and sees its outcome.
        self.catch_up(tx.conn)
        conflict_store.serialise_checks(tx.conn, zone_cells([footprint, self.engine.get(footprint.key)]))
        self.catch_up(tx.conn)
        found = self.engine.check(footprint)
        if footprint.key.startswith("site:"):
            found = [o for o in found if not o.key.startswith("site:")]  # sites do not conflict with sites
        return found

    def reconcile_in(
        self, tx: Tx, key: str, footprint: Footprint | None, actor: Actor | None, reason: str
    ) -> list[int]:
        """Bring the conflict records of `key` in line with its footprint (None: no longer deconflicted).

        New overlaps become open conflicts; an unresolved conflict that still overlaps gets the new
        overlap; one that no longer does is resolved by the centre with `reason`. Returns the ids of
        new conflicts. Every change is an event for each side, carrying only what a nation that may
        see that side is allowed to learn (the warning's fields).
        """
        now = self.clock.now()
        existing = {c.other(key): c for c in conflict_store.unresolved_involving(tx.conn, key)}
        overlaps = self.check_in(tx, footprint) if footprint is not None else []
        created: list[int] = []
        for overlap in overlaps:
            values = {
                "overlap": overlap.geometry,
                "area_m2": overlap.area_m2,
                "starts_at": overlap.starts_at,
                "ends_at": overlap.ends_at,
                "at": now,
            }
            known = existing.pop(overlap.key, None)
            if known is not None:
                conflict_store.update_overlap(tx.conn, known.id, **values)
                self._announce(
                    tx,
                    known.id,
                    "conflict.updated",
                    key,
                    overlap.key,
                    ConflictStatus(known.status),
                    overlap,
                    now,
                    actor,
                )
                continue
            conflict_id = conflict_store.add_conflict(tx.conn, key, overlap.key, **values)
            created.append(conflict_id)
            self._announce(
                tx, conflict_id, "conflict.detected", key, overlap.key, ConflictStatus.OPEN, overlap, now, actor
            )
        for other, conflict in existing.items():
            conflict_store.add_step(
                tx.conn, conflict.id, ConflictStatus.RESOLVED, person_id=None, nation=None, note=reason, at=now
            )
            for side in (key, other):
                append_event(
                    tx,
                    at=now,
                    kind="conflict.resolved",
                    item_type="conflict",
                    item_id=conflict.id,
                    marking=conflict_store.side_marking(tx.conn, side),
                    actor_id=actor.person_id if actor else None,
                    actor_nation=actor.nation if actor else None,
                    payload={"conflict_id": conflict.id, "your_item": side, "status": "resolved"},
                )
        return created

    def _announce(
        self,
        tx: Tx,
        conflict_id: int,
        kind: str,
        a_key: str,
        b_key: str,
        status: ConflictStatus,
        overlap: Overlap,
        now: datetime,
        actor: Actor | None,
    ) -> None:
        # The event is marked like `side`, so a reader who may not see the other side can read it:
        # it says where and when only as coarsely as a warning does; the conflict itself has the rest.
        where = Coarse.of(overlap.geometry, overlap.starts_at, overlap.ends_at)
        for side in (a_key, b_key):
            append_event(
                tx,
                at=now,
                kind=kind,
                item_type="conflict",
                item_id=conflict_id,
                marking=conflict_store.side_marking(tx.conn, side),
                actor_id=actor.person_id if actor else None,
                actor_nation=actor.nation if actor else None,
                payload={
                    "conflict_id": conflict_id,
                    "status": status.value,
                    "your_item": side,
                    "overlap": to_geojson(where.geometry),
                    "area_m2": round(where.area_m2, 1),
                    "starts_at": iso(where.starts_at) if where.starts_at else None,
                    "ends_at": iso(where.ends_at) if where.ends_at else None,
                },
            )
