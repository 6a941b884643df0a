"""Privileged requests: the two-person rule for commander and administrator appointments and for
commander password resets (rules in domain/privileged_requests.py). Each step is an event, and so an
entry of the audit log: asked, confirmed (with the appointment or reset it made), refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from concord.clock import Clock, iso
from concord.domain.errors import NotFound, StateConflict
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.people import Actor, Role, check_appointment_window
from concord.domain.privileged_requests import (
    RequestKind,
    RequestState,
    check_may_confirm,
    check_not_self,
)
from concord.services.people import PeopleService
from concord.storage import people as people_store
from concord.storage import privileged_requests as store
from concord.storage.db import Database, Tx
from concord.storage.events import append_event


@dataclass(frozen=True, slots=True)
class Settled:
    request: store.RequestRow
    appointment_id: int | None = None
    password: str | None = None  # a confirmed reset: shown once, to the person who confirmed


def _marking(nation: str) -> Marking:
    """Account administration stays inside the nation."""
    return Marking.build(Level.UNCLASSIFIED, nation, [nation], Tlp.AMBER_STRICT)


class PrivilegedRequestService:
    def __init__(self, db: Database, clock: Clock, people: PeopleService) -> None:
        self.db = db
        self.clock = clock
        self.people = people

    def _event(self, tx: Tx, actor: Actor, kind: str, request: store.RequestRow | int, nation: str,
               payload: dict[str, object]) -> None:
        request_id = request if isinstance(request, int) else request.id
        append_event(tx, at=self.clock.now(), kind=kind, item_type="privileged_request", item_id=request_id,
                     marking=_marking(nation), actor_id=actor.person_id, actor_nation=actor.nation, payload=payload)

    def _target(self, tx: Tx, actor: Actor, person_id: int) -> people_store.PersonRow:
        row = people_store.get_person(tx.conn, person_id)
        if row is None:
            raise NotFound(f"no person {person_id}", field="person_id")
        actor.require_admin_of(row.nation)
        check_not_self(actor, person_id)
        return row

    def request_appointment(self, actor: Actor, *, person_id: int, role: Role, starts_at: datetime | None,
                            ends_at: datetime | None) -> store.RequestRow:
        now = self.clock.now()
        starts = starts_at or now
        check_appointment_window(starts, ends_at)
        with self.db.write() as tx:
            row = self._target(tx, actor, person_id)
            request_id = store.add_request(tx.conn, kind=RequestKind.APPOINTMENT, nation=row.nation,
                                           person_id=person_id, role=role.value, starts_at=starts, ends_at=ends_at,
                                           requested_by=actor.person_id, at=now)
            self._event(tx, actor, "privileged_request.created", request_id, row.nation,
                        {"kind": RequestKind.APPOINTMENT.value, "person_id": person_id, "username": row.username,
                         "role": role.value, "starts_at": iso(starts), "ends_at": iso(ends_at) if ends_at else None})
            made = store.get_request(tx.conn, request_id)
        assert made is not None
        return made

    def request_password_reset(self, actor: Actor, person_id: int) -> store.RequestRow:
        now = self.clock.now()
        with self.db.write() as tx:
            row = self._target(tx, actor, person_id)
            request_id = store.add_request(tx.conn, kind=RequestKind.PASSWORD_RESET, nation=row.nation,
                                           person_id=person_id, role=None, starts_at=None, ends_at=None,
                                           requested_by=actor.person_id, at=now)
            self._event(tx, actor, "privileged_request.created", request_id, row.nation,
                        {"kind": RequestKind.PASSWORD_RESET.value, "person_id": person_id, "username": row.username})
            made = store.get_request(tx.conn, request_id)
        assert made is not None
        return made

    def holds(self, person_id: int, role: Role) -> bool:
        with self.db.read() as conn:
            row = people_store.get_person(conn, person_id)
            return row is not None and person_id in people_store.holders_of(conn, row.nation, role, self.clock.now())

    def pending(self, actor: Actor) -> list[store.RequestRow]:
        actor.require(Role.ADMINISTRATOR, Role.COMMANDER, action="reading privileged requests")
        with self.db.read() as conn:
            return store.pending_of(conn, actor.nation)

    def _open(self, tx: Tx, actor: Actor, request_id: int) -> store.RequestRow:
        request = store.get_request(tx.conn, request_id, for_update=True)
        if request is None or request.nation != actor.nation:
            raise NotFound(f"no privileged request {request_id}", field="request_id")
        if request.state != RequestState.PENDING:
            raise StateConflict(f"this request is already {request.state}", field="request_id")
        return request

    def confirm(self, actor: Actor, request_id: int) -> Settled:
        now = self.clock.now()
        with self.db.write() as tx:
            request = self._open(tx, actor, request_id)
            check_may_confirm(actor, nation=request.nation, requested_by=request.requested_by,
                              person_id=request.person_id)
            appointment_id = None
            password = None
            if request.kind == RequestKind.APPOINTMENT:
                assert request.role is not None and request.starts_at is not None
                # Made by the system on the strength of two people, both named in the audit trail.
                appointment_id = self.people.appoint_in(tx, None, person_id=request.person_id,
                                                        role=Role(request.role), starts_at=request.starts_at,
                                                        ends_at=request.ends_at)
            else:
                password = self.people.reset_password_in(tx, None, request.person_id)
            if not store.decide(tx.conn, request.id, state=RequestState.CONFIRMED, by=actor.person_id, at=now,
                                appointment_id=appointment_id):
                raise StateConflict("this request was settled meanwhile", field="request_id")
            self._event(tx, actor, "privileged_request.confirmed", request, request.nation,
                        {"kind": request.kind, "person_id": request.person_id, "requested_by": request.requested_by,
                         "role": request.role, "appointment_id": appointment_id})
            settled = store.get_request(tx.conn, request.id)
        assert settled is not None
        return Settled(settled, appointment_id, password)

    def refuse(self, actor: Actor, request_id: int) -> store.RequestRow:
        """The one who asked withdraws it, or a would-be confirmer turns it down."""
        now = self.clock.now()
        with self.db.write() as tx:
            request = self._open(tx, actor, request_id)
            if actor.person_id != request.requested_by:
                check_may_confirm(actor, nation=request.nation, requested_by=request.requested_by,
                                  person_id=request.person_id)
            store.decide(tx.conn, request.id, state=RequestState.REFUSED, by=actor.person_id, at=now)
            self._event(tx, actor, "privileged_request.refused", request, request.nation,
                        {"kind": request.kind, "person_id": request.person_id, "requested_by": request.requested_by})
            settled = store.get_request(tx.conn, request.id)
        assert settled is not None
        return settled
