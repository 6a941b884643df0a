"""HTTP Basic authentication for machine clients (TAXII 2.1 §3.3 allows Basic over TLS).

Each request carries the password, and an argon2 check costs tens of milliseconds, so a successful
check is remembered for a minute (keyed by a hash of username and password, never the password).
The account, its appointments and its roles are still read fresh on every request, so disabling an
account or ending an appointment takes effect at once. Failures count towards the same sign-in
throttle as the web sign-in; accounts with a second factor cannot use Basic (use a bearer token).
"""

from __future__ import annotations

import hashlib
import threading
import time

from concord.clock import Clock
from concord.domain.errors import Throttled, Unauthenticated
from concord.domain.people import Actor
from concord.services.passwords import Passwords
from concord.settings import Settings
from concord.storage import people as people_store
from concord.storage import sessions as session_store
from concord.storage.db import Database

_REMEMBER_SECONDS = 60.0


class BasicCredentials:
    def __init__(self, db: Database, clock: Clock, passwords: Passwords, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.passwords = passwords
        self.settings = settings
        self._verified: dict[str, float] = {}
        self._lock = threading.Lock()

    def authenticate(self, username: str, password: str, client_address: str) -> Actor:
        now = self.clock.now()
        key = hashlib.sha256(f"{username}\0{password}".encode()).hexdigest()
        with self.db.read() as conn:
            row = people_store.find_person(conn, username)
            remembered = self._remembered(key)
            if not remembered:
                window = now.timestamp() - self.settings.login_window_seconds
                from datetime import UTC, datetime

                by_account, by_address, _newest = session_store.recent_failures(
                    conn, username=username, client_address=client_address, since=datetime.fromtimestamp(window, UTC)
                )
                if (
                    by_account >= self.settings.login_max_failures_per_account
                    or by_address >= self.settings.login_max_failures_per_address
                ):
                    raise Throttled(
                        "too many failed sign-in attempts; try again later",
                        retry_after=self.settings.login_window_seconds,
                    )
            ok = row is not None and not row.disabled and not row.totp_secret
            if ok and not remembered:
                ok = self.passwords.verify(row.password_hash if row else None, password)
            if ok and row is not None:
                appointments = people_store.appointments_of(conn, [row.id])[row.id]
                actor = Actor.at(
                    person_id=row.id,
                    username=row.username,
                    display_name=row.display_name,
                    nation=row.nation,
                    clearance=row.clearance,
                    appointments=appointments,
                    now=now,
                )
        if not ok or row is None:
            with self.db.write() as tx:
                session_store.record_attempt(
                    tx.conn, username=username, client_address=client_address, at=now, succeeded=False
                )
            raise Unauthenticated(
                "the username or password is not right (accounts with a second factor use a bearer token)"
            )
        with self._lock:
            self._verified[key] = time.monotonic() + _REMEMBER_SECONDS
        return actor

    def _remembered(self, key: str) -> bool:
        with self._lock:
            until = self._verified.get(key)
            if until is None:
                return False
            if until < time.monotonic():
                del self._verified[key]
                return False
            return True
