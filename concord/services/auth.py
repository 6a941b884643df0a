"""Sign-in: opaque session tokens (stored hashed), CSRF tokens, TOTP, throttling, sign-out.

A session carries the credential epoch of its person at sign-in; a password change or reset, a
disable, or a change of second factor moves the epoch on, and every older session ends at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from pyotp.exceptions import OTPVerificationError

from concord.clock import Clock
from concord.domain.errors import Invalid, Unauthenticated
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.passwords import check_password
from concord.domain.people import Actor
from concord.services.passwords import Passwords
from concord.services.secrets import SecretBox
from concord.services.sign_in_guard import SignInGuard
from concord.settings import Settings
from concord.storage import people as people_store
from concord.storage import sessions as store
from concord.storage.db import Database, Tx
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
    def __init__(self, db: Database, clock: Clock, passwords: Passwords, settings: Settings, *,
                 guard: SignInGuard, box: SecretBox) -> None:
        self.db = db
        self.clock = clock
        self.passwords = passwords
        self.settings = settings
        self.guard = guard
        self.box = box

    def _actor(self, conn: object, row: people_store.PersonRow) -> Actor:
        appointments = people_store.appointments_of(conn, [row.id])[row.id]  # type: ignore[arg-type]
        return Actor.at(person_id=row.id, username=row.username, display_name=row.display_name,
                        nation=row.nation, clearance=row.clearance, appointments=appointments,
                        now=self.clock.now())

    def sign_in(self, username: str, password: str, totp: str | None, client_address: str) -> SignedIn:
        now = self.clock.now()
        self.guard.check_client(client_address, now)
        account_wait = self.guard.account_wait(username, now)
        with self.db.read() as conn:
            row = people_store.find_person(conn, username)
        # The hash is checked on every path (unknown, disabled, delayed): timing tells nothing.
        ok = self.passwords.verify(row.password_hash if row else None, password)
        ok = ok and row is not None and not row.disabled
        seed = self._seed(row) if ok and row is not None else None
        if account_wait:
            # Someone has been guessing this account's password. The password alone waits out the
            # delay; the password with a fresh one-time code goes through at once.
            if not (ok and row is not None and seed and totp and self._use_code(row.id, seed, totp, now)):
                if not ok:
                    self.guard.failed(username, client_address, now)
                raise self.guard.account_throttled(account_wait)
        elif ok and row is not None and seed:
            if not totp:
                # The password was right; ask for the second factor without counting a failure.
                raise Unauthenticated("a one-time code from the authenticator app is required",
                                      details={"totp_required": True})
            ok = self._use_code(row.id, seed, totp, now)
        if not ok or row is None:
            self.guard.failed(username, client_address, now)
            raise Unauthenticated("the username, password or one-time code is not right")

        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        expires = now + timedelta(minutes=self.settings.session_ttl_minutes)
        with self.db.write() as tx:
            store.record_attempt(tx.conn, username=username, client_address=client_address, at=now,
                                 succeeded=True)
            store.add_session(tx.conn, token_hash=_digest(token), csrf_hash=_digest(csrf), person_id=row.id,
                              at=now, expires_at=expires, client_address=client_address,
                              credential_epoch=row.credential_epoch)
            append_event(tx, at=now, kind="person.signed_in", item_type="person", item_id=row.id,
                         marking=Marking.build(Level.UNCLASSIFIED, row.nation, [row.nation], Tlp.AMBER_STRICT),
                         actor_id=row.id, actor_nation=row.nation, payload={"username": row.username})
            actor = self._actor(tx.conn, row)
        return SignedIn(token, csrf, expires, actor)

    def _seed(self, row: people_store.PersonRow) -> str | None:
        if not row.totp_secret:
            return None
        return self.box.open(row.totp_secret) if self.box.is_sealed(row.totp_secret) else row.totp_secret

    def _use_code(self, person_id: int, seed: str, code: str, now: datetime) -> bool:
        """Accept `code` once: its time step must be newer than the last one this person used."""
        step = matching_step(seed, code, now)
        if step is None:
            return False
        with self.db.write() as tx:
            return people_store.use_totp_step(tx.conn, person_id, step)

    def authenticate(self, token: str | None) -> Authenticated:
        """The signed-in person behind a session token, with their roles as of now."""
        if not token or len(token) > 200:
            raise Unauthenticated("sign in first")
        now = self.clock.now()
        with self.db.read() as conn:
            found = store.find_session_holder(conn, _digest(token))
            if found is None:
                raise Unauthenticated("the session has ended; sign in again")
            session, row = found
            if (session.revoked_at is not None or session.expires_at <= now or row.disabled
                    or row.credential_epoch != session.credential_epoch):
                raise Unauthenticated("the session has ended; sign in again")
            return Authenticated(self._actor(conn, row), session.id, session.csrf_hash)

    def sign_out(self, auth: Authenticated) -> None:
        with self.db.write() as tx:
            store.revoke_session(tx.conn, auth.session_id, self.clock.now())

    def sign_out_everywhere(self, actor: Actor) -> int:
        with self.db.write() as tx:
            return store.revoke_all_sessions(tx.conn, actor.person_id, self.clock.now())

    def sign_out_elsewhere(self, auth: Authenticated) -> int:
        """End the person's other sessions (a browser left signed in elsewhere); this one stays.
        Remembered credentials and TAK certificates are untouched: a password change ends those."""
        with self.db.write() as tx:
            return store.revoke_other_sessions(tx.conn, auth.actor.person_id, auth.session_id, self.clock.now())

    # --- credentials the person changes ------------------------------------------------------
    def _confirm_password(self, conn: object, person_id: int, password: str) -> people_store.PersonRow:
        row = people_store.get_person(conn, person_id)  # type: ignore[arg-type]
        if row is None or not self.passwords.verify(row.password_hash, password):
            raise Invalid("the current password is not right", field="password")
        return row

    def _new_epoch(self, tx: Tx, auth: Authenticated, row: people_store.PersonRow, kind: str) -> None:
        """End every other session and remembered credential of the person; keep this session."""
        epoch = people_store.bump_credential_epoch(tx.conn, row.id)
        store.move_session_epoch(tx.conn, auth.session_id, epoch)
        append_event(tx, at=self.clock.now(), kind=kind, item_type="person", item_id=row.id,
                     marking=Marking.build(Level.UNCLASSIFIED, row.nation, [row.nation], Tlp.AMBER_STRICT),
                     actor_id=row.id, actor_nation=row.nation, payload={"username": row.username})

    def change_password(self, auth: Authenticated, current: str, new: str) -> None:
        with self.db.read() as conn:
            row = self._confirm_password(conn, auth.actor.person_id, current)
        check_password(new, username=row.username, display_name=row.display_name)
        hashed = self.passwords.hash(new)
        with self.db.write() as tx:
            people_store.update_person(tx.conn, row.id, password_hash=hashed)
            self._new_epoch(tx, auth, row, "person.password_changed")

    # --- TOTP (RFC 6238) ---------------------------------------------------------------------
    def start_totp(self, actor: Actor) -> tuple[str, str]:
        """A new secret and its otpauth:// URI; it takes effect only once confirmed with a code."""
        secret = pyotp.random_base32()
        uri = pyotp.TOTP(secret).provisioning_uri(name=actor.username, issuer_name="Concord")
        return secret, uri

    def confirm_totp(self, auth: Authenticated, password: str, secret: str, code: str) -> None:
        """Turn the second factor on: the password again, and a code from the new secret."""
        try:
            step = matching_step(secret, code, self.clock.now())
        except ValueError:
            raise Invalid("the secret is not a 160-bit base32 TOTP secret", field="secret") from None
        with self.db.read() as conn:
            row = self._confirm_password(conn, auth.actor.person_id, password)
        if step is None:
            raise Invalid("the one-time code does not match this secret", field="code")
        with self.db.write() as tx:
            people_store.update_person(tx.conn, row.id, totp_secret=self.box.seal(secret), totp_last_step=step)
            self._new_epoch(tx, auth, row, "person.totp_enabled")

    def disable_totp(self, auth: Authenticated, password: str) -> None:
        with self.db.read() as conn:
            row = self._confirm_password(conn, auth.actor.person_id, password)
        with self.db.write() as tx:
            people_store.update_person(tx.conn, row.id, totp_secret=None, totp_last_step=None)
            self._new_epoch(tx, auth, row, "person.totp_disabled")


def rotate_secret_keys(db: Database, box: SecretBox) -> int:
    """`concord keys rotate`: a new key seals every TOTP seed (seeds left in clear by an older
    version too), then the old keys are dropped; returns how many seeds were sealed again. A crash
    midway leaves both keys in the file, and every seed opens with one of them."""
    box.add_key()
    with db.write() as tx:
        sealed = people_store.totp_secrets(tx.conn)
        for person_id, value in sealed:
            people_store.update_person(tx.conn, person_id, totp_secret=box.reseal(value))
    box.drop_old_keys()
    return len(sealed)


def matching_step(seed: str, code: str, now: datetime) -> int | None:
    """The RFC 6238 time step (now, or one either side for clock drift) whose code is `code`."""
    try:
        return pyotp.TOTP(seed).verify_and_get_timecode(code, for_time=now, valid_window=1)
    except OTPVerificationError:
        return None
