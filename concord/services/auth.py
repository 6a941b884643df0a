"""Sign-in: opaque session tokens (stored hashed), CSRF tokens, TOTP, throttling, sign-out."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp

from concord.clock import Clock
from concord.domain.errors import Invalid, Throttled, Unauthenticated
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.people import Actor
from concord.services.passwords import Passwords
from concord.settings import Settings
from concord.storage import people as people_store
from concord.storage import sessions as store
from concord.storage.db import Database
from concord.storage.events import append_event


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    csrf_token: str
    expires_at: datetime
    actor: Actor


@dataclass(frozen=True, slots=True)
class Authenticated:
    actor: Actor
    session_id: int
    csrf_hash: str

    def csrf_ok(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(_digest(presented), self.csrf_hash)


class AuthService:
    def __init__(self, db: Database, clock: Clock, passwords: Passwords, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.passwords = passwords
        self.settings = settings

    def _actor(self, conn: object, row: people_store.PersonRow) -> Actor:
        appointments = people_store.appointments_of(conn, [row.id])[row.id]  # type: ignore[arg-type]
        return Actor.at(person_id=row.id, username=row.username, display_name=row.display_name,
                        nation=row.nation, clearance=row.clearance, appointments=appointments,
                        now=self.clock.now())

    def sign_in(self, username: str, password: str, totp: str | None, client_address: str) -> SignedIn:
        now = self.clock.now()
        window = timedelta(seconds=self.settings.login_window_seconds)
        with self.db.read() as conn:
            by_account, by_address, newest = store.recent_failures(
                conn, username=username, client_address=client_address, since=now - window)
        if (by_account >= self.settings.login_max_failures_per_account
                or by_address >= self.settings.login_max_failures_per_address):
            wait = int(((newest or now) + window - now).total_seconds()) + 1
            raise Throttled("too many failed sign-in attempts; try again later", retry_after=max(wait, 1))

        with self.db.read() as conn:
            row = people_store.find_person(conn, username)
        ok = self.passwords.verify(row.password_hash if row else None, password)
        ok = ok and row is not None and not row.disabled
        if ok and row is not None and row.totp_secret:
            if not totp:
                # The password was right; ask for the second factor without counting a failure.
                raise Unauthenticated("a one-time code from the authenticator app is required",
                                      details={"totp_required": True})
            ok = pyotp.TOTP(row.totp_secret).verify(totp, for_time=now, valid_window=1)
        if not ok or row is None:
            with self.db.write() as tx:
                store.record_attempt(tx.conn, username=username, client_address=client_address, at=now,
                                     succeeded=False)
            raise Unauthenticated("the username, password or one-time code is not right")

        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        expires = now + timedelta(minutes=self.settings.session_ttl_minutes)
        with self.db.write() as tx:
            store.record_attempt(tx.conn, username=username, client_address=client_address, at=now,
                                 succeeded=True)
            store.add_session(tx.conn, token_hash=_digest(token), csrf_hash=_digest(csrf), person_id=row.id,
                              at=now, expires_at=expires, client_address=client_address)
            append_event(tx, at=now, kind="person.signed_in", item_type="person", item_id=row.id,
                         marking=Marking.build(Level.UNCLASSIFIED, row.nation, [row.nation], Tlp.AMBER_STRICT),
                         actor_id=row.id, actor_nation=row.nation, payload={"username": row.username})
            actor = self._actor(tx.conn, row)
        return SignedIn(token, csrf, expires, actor)

    def authenticate(self, token: str | None) -> Authenticated:
        """The signed-in person behind a session token, with their roles as of now."""
        if not token or len(token) > 200:
            raise Unauthenticated("sign in first")
        now = self.clock.now()
        with self.db.read() as conn:
            session = store.find_session(conn, _digest(token))
            if session is None or session.revoked_at is not None or session.expires_at <= now:
                raise Unauthenticated("the session has ended; sign in again")
            row = people_store.get_person(conn, session.person_id)
            if row is None or row.disabled:
                raise Unauthenticated("the session has ended; sign in again")
            return Authenticated(self._actor(conn, row), session.id, session.csrf_hash)

    def sign_out(self, auth: Authenticated) -> None:
        with self.db.write() as tx:
            store.revoke_session(tx.conn, auth.session_id, self.clock.now())

    def sign_out_everywhere(self, actor: Actor) -> int:
        with self.db.write() as tx:
            return store.revoke_all_sessions(tx.conn, actor.person_id, self.clock.now())

    # --- TOTP (RFC 6238) ---------------------------------------------------------------------
    def start_totp(self, actor: Actor) -> tuple[str, str]:
        """A new secret and its otpauth:// URI; it takes effect only once confirmed with a code."""
        secret = pyotp.random_base32()
        uri = pyotp.TOTP(secret).provisioning_uri(name=actor.username, issuer_name="Concord")
        return secret, uri

    def confirm_totp(self, actor: Actor, secret: str, code: str) -> None:
        try:
            matches = pyotp.TOTP(secret).verify(code, for_time=self.clock.now(), valid_window=1)
        except ValueError:
            raise Invalid("the secret is not a 160-bit base32 TOTP secret", field="secret") from None
        if not matches:
            raise Invalid("the one-time code does not match this secret", field="code")
        with self.db.write() as tx:
            people_store.update_person(tx.conn, actor.person_id, totp_secret=secret)

    def disable_totp(self, actor: Actor) -> None:
        with self.db.write() as tx:
            people_store.update_person(tx.conn, actor.person_id, totp_secret=None)
