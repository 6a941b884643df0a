"""The duty roster: watch shifts per nation, and who is on duty now (known centre-wide: partners
must know whom to call)."""

from __future__ import annotations

from datetime import datetime

from concord.clock import Clock, iso
from concord.domain.duty import Shift, new_shift
from concord.domain.errors import Invalid, NotFound
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.people import Actor, Role
from concord.storage import duty as store
from concord.storage import nations as nation_store
from concord.storage import people as people_store
from concord.storage.db import Database
from concord.storage.events import append_event


class DutyService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def add_shift(self, actor: Actor | None, *, person_id: int, starts_at: datetime, ends_at: datetime) -> int:
        with self.db.write() as tx:
            person = people_store.get_person(tx.conn, person_id)
            if person is None or (actor is not None and person.nation != actor.nation):
                raise NotFound(f"no person {person_id} of your nation", field="person_id")
            if actor is not None:
                actor.require(Role.COMMANDER, Role.ADMINISTRATOR, Role.WATCH_OFFICER, action="planning watch shifts")
            shift = new_shift(person.nation, person_id, person.nation, starts_at, ends_at)
            shift_id = store.add_shift(tx.conn, shift, actor.person_id if actor else None)
            codes = [n.code for n in nation_store.list_nations(tx.conn)]
            append_event(tx, at=self.clock.now(), kind="duty.shift_added", item_type="duty_shift", item_id=shift_id,
                         marking=Marking.build(Level.UNCLASSIFIED, person.nation, codes, Tlp.GREEN),
                         actor_id=actor.person_id if actor else None, actor_nation=actor.nation if actor else None,
                         payload={"nation": person.nation, "person_id": person_id, "starts_at": iso(starts_at),
                                  "ends_at": iso(ends_at)})
            return shift_id

    def on_duty(self, at: datetime | None = None, nation: str | None = None) -> list[tuple[int, Shift]]:
        """The roster is known centre-wide: partners must know whom to call."""
        if nation is not None and len(nation) != 3:
            raise Invalid("nation is an ISO 3166-1 alpha-3 code", field="nation")
        with self.db.read() as conn:
            return store.shifts_covering(conn, at or self.clock.now(), nation)
