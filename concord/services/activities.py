"""Unilateral national activities, notified for deconfliction only (no approval)."""

from __future__ import annotations

from concord.clock import Clock
from concord.domain.activities import (
    ActivitySpec,
    ActivityStatus,
    activity_key,
    check_activity,
    check_change,
)
from concord.domain.errors import Invalid, NotFound
from concord.domain.ownership import CHANGERS, Kind, require_owner
from concord.domain.people import Actor
from concord.services.deconfliction import DeconflictionService
from concord.storage import activities as store
from concord.storage import nations as nation_store
from concord.storage.db import Database, Tx
from concord.storage.events import append_event, narrow_history


class ActivityService:
    def __init__(self, db: Database, clock: Clock, deconfliction: DeconflictionService) -> None:
        self.db = db
        self.clock = clock
        self.deconfliction = deconfliction

    def _visible(self, tx: Tx, actor: Actor, activity_id: int) -> store.ActivityRow:
        # Locked until commit: two people deciding on one item at once take turns, and the second
        # decides on the first one's outcome (one acknowledgement, one event; not two).
        row = store.get_visible(tx.conn, actor.reader, activity_id, lock=True)
        if row is None:
            raise NotFound(f"no activity {activity_id}", field="activity_id")
        return row

    def _event(self, tx: Tx, actor: Actor, activity_id: int, spec: ActivitySpec, kind: str) -> None:
        append_event(tx, at=self.clock.now(), kind=kind, item_type="activity", item_id=activity_id,
                     marking=spec.marking, actor_id=actor.person_id, actor_nation=actor.nation,
                     payload={"name": spec.name, "nation": spec.nation})

    def _reconcile(self, tx: Tx, actor: Actor, activity_id: int, spec: ActivitySpec | None) -> None:
        key = activity_key(activity_id)
        footprint = spec.footprint(key, self.deconfliction.standoff_m) if spec is not None else None
        self.deconfliction.reconcile_in(tx, key, footprint, actor, "no longer overlapping")

    def notify(self, actor: Actor, spec: ActivitySpec) -> store.ActivityRow:
        actor.require(*CHANGERS[Kind.ACTIVITY], action="notifying a national activity")
        if spec.nation != actor.nation:
            raise Invalid("a nation notifies only its own activities", field="nation")
        with self.db.write() as tx:
            spec = check_activity(spec, [n.code for n in nation_store.list_nations(tx.conn)])
            activity_id = store.add_activity(tx.conn, spec, by=actor.person_id, at=self.clock.now())
            self._event(tx, actor, activity_id, spec, "activity.notified")
            self._reconcile(tx, actor, activity_id, spec)
            return self._visible(tx, actor, activity_id)

    def update(self, actor: Actor, activity_id: int, spec: ActivitySpec) -> store.ActivityRow:
        with self.db.write() as tx:
            row = self._visible(tx, actor, activity_id)
            require_owner(actor, row.spec.nation, Kind.ACTIVITY, action="change it")
            check_change(row.status)
            if spec.nation != row.spec.nation:
                raise Invalid("the notifying nation does not change", field="nation")
            spec = check_activity(spec, [n.code for n in nation_store.list_nations(tx.conn)])
            store.save_activity(tx.conn, activity_id, spec, self.clock.now())
            self._event(tx, actor, activity_id, spec, "activity.updated")
            if spec.marking != row.spec.marking:
                narrow_history(tx.conn, spec.marking, item_type="activity", item_id=activity_id,
                               mentioned_as=f"activity:{activity_id}", mentioned_in=("conflict",))
            self._reconcile(tx, actor, activity_id, spec)
            return self._visible(tx, actor, activity_id)

    def withdraw(self, actor: Actor, activity_id: int) -> store.ActivityRow:
        with self.db.write() as tx:
            row = self._visible(tx, actor, activity_id)
            require_owner(actor, row.spec.nation, Kind.ACTIVITY, action="withdraw it")
            check_change(row.status)
            store.set_status(tx.conn, activity_id, ActivityStatus.WITHDRAWN, self.clock.now())
            self._event(tx, actor, activity_id, row.spec, "activity.withdrawn")
            self._reconcile(tx, actor, activity_id, None)
            return self._visible(tx, actor, activity_id)

    def get(self, actor: Actor, activity_id: int) -> store.ActivityRow:
        with self.db.read() as conn:
            row = store.get_visible(conn, actor.reader, activity_id)
            if row is None:
                raise NotFound(f"no activity {activity_id}", field="activity_id")
            return row

    def list_visible(self, actor: Actor, *, limit: int = 200, offset: int = 0) -> list[store.ActivityRow]:
        with self.db.read() as conn:
            return store.list_visible(conn, actor.reader, limit=limit, offset=offset)
