"""People and appointments: administrators manage only their own nation's."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from concord.clock import Clock
from concord.domain.errors import Forbidden, Invalid, NotFound, StateConflict
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.passwords import check_password
from concord.domain.people import (
    Actor,
    Appointment,
    Role,
    check_appointment_window,
    check_display_name,
    check_username,
)
from concord.domain.privileged_requests import check_not_self, needs_second_person
from concord.services.passwords import Passwords
from concord.storage import nations as nation_store
from concord.storage import people as store
from concord.storage.db import Database, Tx
from concord.storage.events import append_event
from concord.storage.sessions import record_attempt, revoke_all_sessions

LANGUAGES = ("en", "tr", "ar")


@dataclass(frozen=True, slots=True)
class PersonView:
    id: int
    username: str
    display_name: str
    nation: str
    clearance: Level
    disabled: bool
    language: str
    totp_enabled: bool
    appointments: list[Appointment]
    current_roles: list[Role]


def directory_marking(nation: str, partner_nations: list[str]) -> Marking:
    """People and appointments are known centre-wide: partners must know whom to contact. Their
    records (and whether they are online) carry this marking."""
    return Marking.build(Level.UNCLASSIFIED, nation, partner_nations, Tlp.GREEN)


def generate_password() -> str:
    """A password shown once: 20 characters from a 57-symbol alphabet (~116 bits)."""
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(20))


class PeopleService:
    def __init__(self, db: Database, clock: Clock, passwords: Passwords) -> None:
        self.db = db
        self.clock = clock
        self.passwords = passwords

    # --- helpers -------------------------------------------------------------------------------
    def _centre_wide(self, tx: Tx, nation: str) -> Marking:
        return directory_marking(nation, [n.code for n in nation_store.list_nations(tx.conn)])

    @staticmethod
    def _national(nation: str) -> Marking:
        """Account administration stays inside the nation."""
        return Marking.build(Level.UNCLASSIFIED, nation, [nation], Tlp.AMBER_STRICT)

    def _view(self, row: store.PersonRow, appointments: list[Appointment], now: datetime) -> PersonView:
        current = sorted({a.role for a in appointments if a.is_current(now) and a.nation == row.nation})
        return PersonView(row.id, row.username, row.display_name, row.nation, row.clearance, row.disabled,
                          row.language, row.totp_secret is not None, appointments, current)

    # --- use cases ------------------------------------------------------------------------------
    def create_in(self, tx: Tx, actor: Actor | None, *, username: str, display_name: str, nation: str,
                  clearance: Level, password: str, language: str = "en") -> int:
        """Create a person. `actor` None is the system itself (`concord init`, `concord user add`)."""
        if actor is not None:
            actor.require_admin_of(nation)
        check_username(username)
        display_name = check_display_name(display_name)
        check_password(password, username=username, display_name=display_name)
        if language not in LANGUAGES:
            raise Invalid(f"language is one of {', '.join(LANGUAGES)}", field="language")
        if nation_store.get_nation(tx.conn, nation) is None:
            raise Invalid(f"{nation!r} is not a partner nation of this centre", field="nation")
        if store.find_person(tx.conn, username) is not None:
            raise StateConflict(f"username {username!r} is taken", field="username")
        now = self.clock.now()
        person_id = store.add_person(tx.conn, username=username, display_name=display_name, nation=nation,
                                     clearance=clearance, password_hash=self.passwords.hash(password),
                                     language=language, at=now)
        if person_id is None:  # taken since the check above, by a concurrent request (a double submit)
            raise StateConflict(f"username {username!r} is taken", field="username")
        append_event(tx, at=now, kind="person.created", item_type="person", item_id=person_id,
                     marking=self._centre_wide(tx, nation), actor_id=actor.person_id if actor else None,
                     actor_nation=actor.nation if actor else None,
                     payload={"username": username, "display_name": display_name, "nation": nation})
        return person_id

    def create(self, actor: Actor | None, **fields: object) -> int:
        with self.db.write() as tx:
            return self.create_in(tx, actor, **fields)  # type: ignore[arg-type]

    def _target(self, tx: Tx, actor: Actor | None, person_id: int) -> store.PersonRow:
        row = store.get_person(tx.conn, person_id)
        if row is None:
            raise NotFound(f"no person {person_id}", field="person_id")
        if actor is not None:
            actor.require_admin_of(row.nation)
        return row

    def set_disabled(self, actor: Actor | None, person_id: int, disabled: bool) -> None:
        with self.db.write() as tx:
            row = self._target(tx, actor, person_id)
            now = self.clock.now()
            store.update_person(tx.conn, person_id, disabled=disabled)
            if disabled:
                store.bump_credential_epoch(tx.conn, person_id)
                revoke_all_sessions(tx.conn, person_id, now)
            append_event(tx, at=now, kind="person.disabled" if disabled else "person.enabled",
                         item_type="person", item_id=person_id, marking=self._national(row.nation),
                         actor_id=actor.person_id if actor else None,
                         actor_nation=actor.nation if actor else None, payload={"username": row.username})

    def reset_password(self, actor: Actor | None, person_id: int, password: str | None = None) -> str:
        """Set a new password (generated when not given), end every session; returns the password."""
        with self.db.write() as tx:
            return self.reset_password_in(tx, actor, person_id, password)

    def reset_password_in(self, tx: Tx, actor: Actor | None, person_id: int, password: str | None = None) -> str:
        password = password or generate_password()
        row = self._target(tx, actor, person_id)
        if actor is not None:
            check_not_self(actor, person_id)  # one's own password changes with the current one
        check_password(password, username=row.username, display_name=row.display_name)
        now = self.clock.now()
        store.update_person(tx.conn, person_id, password_hash=self.passwords.hash(password))
        store.bump_credential_epoch(tx.conn, person_id)
        revoke_all_sessions(tx.conn, person_id, now)
        append_event(tx, at=now, kind="person.password_reset", item_type="person", item_id=person_id,
                     marking=self._national(row.nation), actor_id=actor.person_id if actor else None,
                     actor_nation=actor.nation if actor else None, payload={"username": row.username})
        return password

    def lift_sign_in_delay(self, actor: Actor | None, person_id: int) -> None:
        """An administrator of the person's nation lifts the delay others' failed guesses put on the
        account: failures before now stop counting for it (the guessers' addresses stay delayed)."""
        with self.db.write() as tx:
            row = self._target(tx, actor, person_id)
            now = self.clock.now()
            record_attempt(tx.conn, username=row.username, client_address="administrator", at=now,
                           succeeded=True, cleared_by=actor.person_id if actor else None)
            append_event(tx, at=now, kind="person.sign_in_delay_lifted", item_type="person", item_id=person_id,
                         marking=self._national(row.nation), actor_id=actor.person_id if actor else None,
                         actor_nation=actor.nation if actor else None, payload={"username": row.username})

    def appoint_in(self, tx: Tx, actor: Actor | None, *, person_id: int, role: Role, starts_at: datetime,
                   ends_at: datetime | None = None) -> int:
        check_appointment_window(starts_at, ends_at)
        row = self._target(tx, actor, person_id)
        if actor is not None:
            check_not_self(actor, person_id)
            if needs_second_person(role):
                raise Forbidden(f"appointing a {role.value} needs a second person: ask for it "
                                "(POST /api/appointments answers with a request to confirm)", field="role")
        now = self.clock.now()
        appointment_id = store.add_appointment(tx.conn, person_id=person_id, nation=row.nation, role=role,
                                               starts_at=starts_at, ends_at=ends_at,
                                               created_by=actor.person_id if actor else None, at=now)
        append_event(tx, at=now, kind="appointment.created", item_type="appointment", item_id=appointment_id,
                     marking=self._centre_wide(tx, row.nation), actor_id=actor.person_id if actor else None,
                     actor_nation=actor.nation if actor else None,
                     payload={"person_id": person_id, "username": row.username, "role": role.value,
                              "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat() if ends_at else None})
        return appointment_id

    def appoint(self, actor: Actor | None, *, person_id: int, role: Role, starts_at: datetime | None = None,
                ends_at: datetime | None = None) -> int:
        with self.db.write() as tx:
            return self.appoint_in(tx, actor, person_id=person_id, role=role,
                                   starts_at=starts_at or self.clock.now(), ends_at=ends_at)

    def end_appointment(self, actor: Actor | None, appointment_id: int) -> None:
        """End an appointment now: it stops working at once."""
        with self.db.write() as tx:
            # Locked: two ends at once take turns, the second finds it ended (one end, one event).
            appointment = store.get_appointment(tx.conn, appointment_id, lock=True)
            if appointment is None:
                raise NotFound(f"no appointment {appointment_id}", field="appointment_id")
            self._target(tx, actor, appointment.person_id)
            now = self.clock.now()
            if appointment.ends_at is not None and appointment.ends_at <= now:
                raise StateConflict("this appointment has already ended", field="appointment_id")
            # An appointment that has not started yet ends before it starts: cancel it outright.
            store.end_appointment(tx.conn, appointment_id, max(now, appointment.starts_at))
            append_event(tx, at=now, kind="appointment.ended", item_type="appointment",
                         item_id=appointment_id, marking=self._centre_wide(tx, appointment.nation),
                         actor_id=actor.person_id if actor else None,
                         actor_nation=actor.nation if actor else None,
                         payload={"person_id": appointment.person_id, "role": appointment.role.value})

    def get(self, person_id: int) -> PersonView:
        with self.db.read() as conn:
            row = store.get_person(conn, person_id)
            if row is None:
                raise NotFound(f"no person {person_id}", field="person_id")
            return self._view(row, store.appointments_of(conn, [row.id])[row.id], self.clock.now())

    def actor(self, person_id: int) -> Actor:
        """The person as they would act now: nation, clearance and the roles current at this moment."""
        view = self.get(person_id)
        return Actor.at(person_id=view.id, username=view.username, display_name=view.display_name,
                        nation=view.nation, clearance=view.clearance, appointments=view.appointments,
                        now=self.clock.now())

    def actor_named(self, username: str) -> Actor:
        return self.actor(self.find(username).id)

    def find(self, username: str) -> PersonView:
        with self.db.read() as conn:
            row = store.find_person(conn, username)
        if row is None:
            raise NotFound(f"no person {username!r}", field="username")
        return self.get(row.id)

    def directory(self, nation: str | None = None) -> list[PersonView]:
        with self.db.read() as conn:
            rows = store.list_people(conn, nation)
            appts = store.appointments_of(conn, [r.id for r in rows])
        now = self.clock.now()
        return [self._view(r, appts[r.id], now) for r in rows]

    def set_language(self, actor: Actor, language: str) -> None:
        if language not in LANGUAGES:
            raise Invalid(f"language is one of {', '.join(LANGUAGES)}", field="language")
        with self.db.write() as tx:
            store.update_person(tx.conn, actor.person_id, language=language)

    def credential_epoch(self, person_id: int) -> int:
        with self.db.read() as conn:
            row = store.get_person(conn, person_id)
        if row is None:
            raise NotFound(f"no person {person_id}", field="person_id")
        return row.credential_epoch

    def holders_of(self, nation: str, role: Role) -> list[int]:
        with self.db.read() as conn:
            return store.holders_of(conn, nation, role, self.clock.now())
