"""HTTP Basic authentication for machine clients (TAXII 2.1 §3.3 allows Basic over TLS).

Each request carries the password, and an argon2 check costs tens of milliseconds, so a successful
check is remembered for a minute from the check (using it does not extend it), keyed by a hash of
username and password, never the password, and tied to the person's credential epoch: a password
change or reset, a disable or a change of second factor ends it at the next request. The account,
its appointments and its roles are read fresh on every request.

Every attempt that is not remembered runs the password hash, for unknown, disabled and
second-factor accounts too, and all of them get the same answer: timing and text tell nothing about
which usernames exist. Failures count towards the same throttle as the web sign-in. Accounts with a
second factor cannot use Basic (they use a bearer token from a signed-in session).
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass

from concord.clock import Clock
from concord.domain.errors import Unauthenticated
from concord.domain.people import Actor
from concord.services.passwords import Passwords
from concord.services.sign_in_guard import SignInGuard
from concord.storage import people as people_store
from concord.storage.db import Database

_REMEMBER_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class _Remembered:
    person_id: int
    credential_epoch: int
    until: float


class BasicCredentials:
    def __init__(self, db: Database, clock: Clock, passwords: Passwords, guard: SignInGuard) -> None:
        self.db = db
        self.clock = clock
        self.passwords = passwords
        self.guard = guard
        self._verified: dict[str, _Remembered] = {}
        self._lock = threading.Lock()

    def authenticate(self, username: str, password: str, client_address: str) -> Actor:
        now = self.clock.now()
        key = hashlib.sha256(f"{username}\0{password}".encode()).hexdigest()
        remembered = self._remembered(key)
        with self.db.read() as conn:
            row = people_store.find_person(conn, username)
        usable = row is not None and not row.disabled and not row.totp_secret
        if remembered is not None and usable and row is not None and (
                remembered.person_id, remembered.credential_epoch) == (row.id, row.credential_epoch):
            return self._actor(row)
        self.guard.check_client(client_address, now)
        account_wait = self.guard.account_wait(username, now)
        ok = self.passwords.verify(row.password_hash if row else None, password) and usable
        if account_wait:
            if not ok:
                self.guard.failed(username, client_address, now)
            raise self.guard.account_throttled(account_wait)
        if not ok or row is None:
            self.guard.failed(username, client_address, now)
            raise Unauthenticated(
                "the username or password is not right (accounts with a second factor use a bearer token)")
        with self._lock:
            self._verified[key] = _Remembered(row.id, row.credential_epoch, time.monotonic() + _REMEMBER_SECONDS)
        return self._actor(row)

    def _actor(self, row: people_store.PersonRow) -> Actor:
        with self.db.read() as conn:
            appointments = people_store.appointments_of(conn, [row.id])[row.id]
        return Actor.at(person_id=row.id, username=row.username, display_name=row.display_name,
                        nation=row.nation, clearance=row.clearance, appointments=appointments,
                        now=self.clock.now())

    def _remembered(self, key: str) -> _Remembered | None:
        with self._lock:
            found = self._verified.get(key)
            if found is None:
                return None
            if found.until < time.monotonic():
                del self._verified[key]
                return None
            return found
