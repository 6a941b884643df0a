"""Protected sites and humanitarian movements: added by any nation, deconflicted, acknowledged."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from concord.clock import Clock
from concord.domain.errors import NotFound, StateConflict
from concord.domain.operation_lifecycle import check_reason
from concord.domain.ownership import Kind, require_owner
from concord.domain.people import Actor, Role
from concord.domain.sites import SiteKind, SiteSpec, SiteStatus, check_acknowledge, check_site, site_key
from concord.services.deconfliction import DeconflictionService
from concord.storage import sites as store
from concord.storage.db import Database, Tx
from concord.storage.events import append_event

CONTRIBUTORS = (Role.COMMANDER, Role.LIAISON_OFFICER, Role.ANALYST, Role.WATCH_OFFICER)
ACKNOWLEDGERS = (Role.COMMANDER, Role.LIAISON_OFFICER, Role.WATCH_OFFICER)


class SiteService:
    def __init__(self, db: Database, clock: Clock, deconfliction: DeconflictionService) -> None:
        self.db = db
        self.clock = clock
        self.deconfliction = deconfliction

    def _add_in(self, tx: Tx, actor: Actor | None, spec: SiteSpec) -> int:
        now = self.clock.now()
        site_id = store.add_site(tx.conn, spec, by=actor.person_id if actor else None, at=now)
        append_event(tx, at=now, kind="site.added", item_type="site", item_id=site_id, marking=spec.marking,
                     actor_id=actor.person_id if actor else None, actor_nation=actor.nation if actor else None,
                     payload={"kind": spec.kind.value, "name": spec.name, "buffer_m": spec.buffer_m})
        key = site_key(site_id)
        self.deconfliction.reconcile_in(tx, key, spec.footprint(key), actor, "no longer overlapping")
        return site_id

    def add(self, actor: Actor, spec: SiteSpec) -> store.SiteRow:
        actor.require(*CONTRIBUTORS, action="adding a protected site")
        spec = check_site(spec)
        with self.db.write() as tx:
            site_id = self._add_in(tx, actor, spec)
            row = store.get_any(tx.conn, site_id)
            assert row is not None
            return row

    def import_many(self, actor: Actor | None, specs: Sequence[SiteSpec],
                    progress: Callable[[int], None] | None = None) -> list[int]:
        """Add many (already checked) sites in one unit of work: all of them or, on error, none."""
        if actor is not None:
            actor.require(*CONTRIBUTORS, action="importing protected sites")
        ids = []
        with self.db.write() as tx:
            for spec in specs:
                ids.append(self._add_in(tx, actor, spec))
                if progress is not None:
                    progress(1)
        return ids

    def _visible(self, tx: Tx, actor: Actor, site_id: int) -> store.SiteRow:
        # Locked until commit: two people deciding on one item at once take turns, and the second
        # decides on the first one's outcome (one acknowledgement, one event; not two).
        row = store.get_visible(tx.conn, actor.reader, site_id, lock=True)
        if row is None:
            raise NotFound(f"no protected site {site_id}", field="site_id")
        return row

    def acknowledge(self, actor: Actor, site_id: int) -> store.SiteRow:
        """Someone at the centre has seen the notification. Not an approval: nothing else changes."""
        actor.require(*ACKNOWLEDGERS, action="acknowledging a notification")
        with self.db.write() as tx:
            row = self._visible(tx, actor, site_id)
            check_acknowledge(row.status)
            now = self.clock.now()
            store.set_status(tx.conn, site_id, SiteStatus.ACKNOWLEDGED, by=actor.person_id, at=now)
            append_event(tx, at=now, kind="site.acknowledged", item_type="site", item_id=site_id,
                         marking=row.spec.marking, actor_id=actor.person_id, actor_nation=actor.nation,
                         payload={"name": row.spec.name})
            return self._visible(tx, actor, site_id)

    def retire(self, actor: Actor, site_id: int, reason: str | None) -> store.SiteRow:
        """Only the nation that added a site retires it (`domain.ownership`): a partner cannot clear a
        protected site out of its operation's way."""
        actor.require(*CONTRIBUTORS, action="retiring a protected site")
        with self.db.write() as tx:
            row = self._visible(tx, actor, site_id)
            require_owner(actor, row.spec.marking.originator, Kind.SITE, action="retire it")
            if row.status == SiteStatus.RETIRED:
                raise StateConflict("the site is already retired", field="status")
            text = check_reason(reason)
            now = self.clock.now()
            store.set_status(tx.conn, site_id, SiteStatus.RETIRED)
            append_event(tx, at=now, kind="site.retired", item_type="site", item_id=site_id,
                         marking=row.spec.marking, actor_id=actor.person_id, actor_nation=actor.nation,
                         payload={"name": row.spec.name, "reason": text})
            self.deconfliction.reconcile_in(tx, site_key(site_id), None, actor, "the protected site is retired")
            return self._visible(tx, actor, site_id)

    def get(self, actor: Actor, site_id: int) -> store.SiteRow:
        with self.db.read() as conn:
            row = store.get_visible(conn, actor.reader, site_id)
            if row is None:
                raise NotFound(f"no protected site {site_id}", field="site_id")
            return row

    def list_visible(self, actor: Actor, kind: SiteKind | None = None, *, include_retired: bool = False,
                     limit: int = 500, offset: int = 0) -> list[store.SiteRow]:
        with self.db.read() as conn:
            return store.list_visible(conn, actor.reader, kind=kind, include_retired=include_retired, limit=limit,
                                      offset=offset)
