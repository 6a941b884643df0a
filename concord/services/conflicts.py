"""Conflicts as each person may see them: in full when both sides are visible to them, as a warning
that leaks nothing of the other side when only one is, not at all otherwise."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from concord.clock import Clock, iso
from concord.domain.conflicts import (
    ConflictStatus,
    awaiting,
    check_resolution,
    check_step,
    status_after_resolution,
    warning_for,
)
from concord.domain.errors import NotFound
from concord.domain.geo import to_geojson
from concord.domain.ownership import Decision, require_decider
from concord.domain.people import Actor
from concord.storage import conflicts as store
from concord.storage.db import Database
from concord.storage.events import append_event


def _time(value: Any) -> str | None:
    return iso(value) if value is not None else None


class ConflictService:
    def __init__(self, db: Database, clock: Clock, *, contact: str) -> None:
        self.db = db
        self.clock = clock
        self.contact = contact

    def render(self, conn: Connection, view: store.ConflictView) -> dict[str, Any]:
        c = view.conflict
        if not (view.a_visible and view.b_visible):
            visible = c.a_key if view.a_visible else c.b_key
            warning = warning_for(c, visible, self.contact)
            out = warning.to_dict()
            out["starts_at"], out["ends_at"] = _time(warning.starts_at), _time(warning.ends_at)
            return out
        return {
            "conflict_id": c.id,
            "status": c.status.value,
            "sides": [{"item": key, "name": store.side_name(conn, key)} for key in (c.a_key, c.b_key)],
            "overlap": to_geojson(c.overlap),
            "area_m2": round(c.area_m2, 1),
            "starts_at": _time(c.starts_at),
            "ends_at": _time(c.ends_at),
            "overrides": [{"item": o.operation_key, "version": o.version, "person_id": o.person_id,
                           "nation": o.nation, "justification": o.justification, "at": iso(o.at)}
                          for o in c.overrides],
            "steps": [{**s, "at": iso(s["at"])} for s in store.steps_of(conn, c.id)],
            # Both sides are visible to this reader, so the nations concerned may be named.
            "awaiting_nations": sorted(awaiting(c, store.concern(conn, c), store.resolved_by(conn, c.id))),
            "created_at": iso(view.created_at),
            "restricted": False,
        }

    def list_visible(self, actor: Actor, *, status: ConflictStatus | None = None, involving: str | None = None,
                     limit: int = 500) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            views = store.for_reader(conn, actor.reader, status=status, involving=involving, limit=limit)
            return [self.render(conn, v) for v in views]

    def get(self, actor: Actor, conflict_id: int) -> dict[str, Any]:
        with self.db.read() as conn:
            views = store.for_reader(conn, actor.reader, conflict_id=conflict_id)
            if not views:
                raise NotFound(f"no conflict {conflict_id}", field="conflict_id")
            return self.render(conn, views[0])

    def step(self, actor: Actor, conflict_id: int, target: ConflictStatus, note: str | None) -> dict[str, Any]:
        """Acknowledge or resolve, by a named person of a nation the conflict concerns, with a note;
        resolving is for the person's own nation (the conflict is resolved once every concerned nation
        has). Every side that person's nation may not see stays hidden, and each side's followers are
        told through an event with its marking."""
        with self.db.write() as tx:
            views = store.for_reader(tx.conn, actor.reader, conflict_id=conflict_id)
            if not views:
                raise NotFound(f"no conflict {conflict_id}", field="conflict_id")
            conflict = views[0].conflict
            concern = store.concern(tx.conn, conflict)
            require_decider(actor, concern.nations, Decision.CONFLICT_STEP, action=f"marking a conflict {target.value}")
            text = check_step(conflict, target, note)
            status = target
            if target is ConflictStatus.RESOLVED:
                resolved = store.resolved_by(tx.conn, conflict_id)
                check_resolution(conflict, actor.nation, resolved)
                status = status_after_resolution(conflict, concern, resolved | {actor.nation})
            now = self.clock.now()
            store.add_step(tx.conn, conflict_id, target, person_id=actor.person_id, nation=actor.nation, note=text,
                           at=now, conflict_status=status)
            for side in (conflict.a_key, conflict.b_key):
                append_event(tx, at=now, kind=f"conflict.{target.value}", item_type="conflict", item_id=conflict_id,
                             marking=store.side_marking(tx.conn, side), actor_id=actor.person_id,
                             actor_nation=actor.nation,
                             payload={"conflict_id": conflict_id, "your_item": side, "status": status.value,
                                      "step": target.value})
            return self.render(tx.conn, store.for_reader(tx.conn, actor.reader, conflict_id=conflict_id)[0])
