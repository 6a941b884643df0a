"""Nations joining the centre."""

from __future__ import annotations

from concord.clock import Clock
from concord.domain.errors import NotFound, StateConflict
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.nations import Nation, new_nation
from concord.domain.ownership import Kind, require_owner
from concord.domain.people import Actor
from concord.storage import nations as store
from concord.storage.db import Database, Tx
from concord.storage.events import append_event


class NationService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def add_in(self, tx: Tx, code: str, name: str, labels: dict[str, str] | None = None) -> Nation:
        nation = new_nation(code, name, labels)
        if store.get_nation(tx.conn, nation.code):
            raise StateConflict(f"nation {nation.code} is already a partner", field="code")
        now = self.clock.now()
        if not store.add_nation(tx.conn, nation, now):  # added since the check, by a concurrent request
            raise StateConflict(f"nation {nation.code} is already a partner", field="code")
        # A partner's arrival is known centre-wide.
        audience = [n.code for n in store.list_nations(tx.conn)]
        append_event(tx, at=now, kind="nation.joined", item_type="nation", item_id=nation.code,
                     marking=Marking.build(Level.UNCLASSIFIED, nation.code, audience, Tlp.GREEN),
                     payload={"code": nation.code, "name": nation.name})
        return nation

    def add(self, code: str, name: str, labels: dict[str, str] | None = None) -> Nation:
        with self.db.write() as tx:
            return self.add_in(tx, code, name, labels)

    def change(self, actor: Actor, code: str, name: str, labels: dict[str, str]) -> Nation:
        """A nation's administrators rename it or change its labels for the common levels; every
        partner sees the change (banners are written in each reader's own labels)."""
        with self.db.write() as tx:
            before = store.get_nation(tx.conn, code)
            if before is None:
                raise NotFound(f"no partner nation {code!r}", field="code")
            require_owner(actor, code, Kind.NATION, action="change its name or labels")
            after = new_nation(code, name, labels)
            if after == before:
                return before
            store.update_nation(tx.conn, after)
            audience = [n.code for n in store.list_nations(tx.conn)]
            append_event(tx, at=self.clock.now(), kind="nation.changed", item_type="nation", item_id=code,
                         marking=Marking.build(Level.UNCLASSIFIED, code, audience, Tlp.GREEN),
                         payload={"code": code, "name": after.name, "labels": after.labels},
                         actor_id=actor.person_id, actor_nation=actor.nation)
        return after

    def all(self) -> list[Nation]:
        with self.db.read() as conn:
            return store.list_nations(conn)

    def codes(self) -> list[str]:
        return [n.code for n in self.all()]

    def get(self, code: str) -> Nation:
        with self.db.read() as conn:
            nation = store.get_nation(conn, code)
        if nation is None:
            raise NotFound(f"no partner nation {code!r}", field="nation")
        return nation
