"""Sign-in sessions (tokens stored hashed) and sign-in attempts (for throttling)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    bindparam,
    func,
    insert,
    select,
    update,
)

from concord.clock import utc
from concord.storage.people import PersonRow, people, person_from_row
from concord.storage.schema import TS, BigId, metadata

sessions = Table(
    "sessions", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("csrf_hash", String(64), nullable=False),
    Column("person_id", BigId, ForeignKey("people.id"), nullable=False, index=True),
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("revoked_at", TS, nullable=True),
    Column("client_address", String(64), nullable=True),
    Column("credential_epoch", Integer, nullable=False, default=0, server_default="0"),
)

sign_in_attempts = Table(
    "sign_in_attempts", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("username", String(63), nullable=False),
    Column("client_address", String(64), nullable=False),
    Column("at", TS, nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Column("cleared_by", Integer, nullable=True),  # an administrator who lifted the account's delay
    Index("ix_sign_in_attempts_username_at", "username", "at"),
    Index("ix_sign_in_attempts_client_address_at", "client_address", "at"),
)


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: int
    person_id: int
    csrf_hash: str
    expires_at: datetime
    revoked_at: datetime | None
    credential_epoch: int


def add_session(conn: Connection, *, token_hash: str, csrf_hash: str, person_id: int, at: datetime,
                expires_at: datetime, client_address: str | None, credential_epoch: int) -> int:
    return int(conn.execute(insert(sessions).values(
        token_hash=token_hash, csrf_hash=csrf_hash, person_id=person_id, created_at=at,
        expires_at=expires_at, client_address=_address(client_address) if client_address else None,
        credential_epoch=credential_epoch,
    ).returning(sessions.c.id)).scalar_one())


# Built once: the session and its person in one statement (authentication runs on every request).
_SESSION_HOLDER = (
    select(sessions.c.id.label("session_id"), sessions.c.csrf_hash, sessions.c.expires_at, sessions.c.revoked_at,
           sessions.c.credential_epoch.label("session_epoch"), people)
    .join(people, people.c.id == sessions.c.person_id)
    .where(sessions.c.token_hash == bindparam("token_hash"))
)


def find_session_holder(conn: Connection, token_hash: str) -> tuple[SessionRow, PersonRow] | None:
    """The session with this token hash and the person it belongs to, read together."""
    row = conn.execute(_SESSION_HOLDER, {"token_hash": token_hash}).first()
    if row is None:
        return None
    session = SessionRow(row.session_id, row.id, row.csrf_hash, utc(row.expires_at),
                         utc(row.revoked_at) if row.revoked_at else None, row.session_epoch)
    return session, person_from_row(row)


def revoke_session(conn: Connection, session_id: int, at: datetime) -> None:
    conn.execute(update(sessions).where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
                 .values(revoked_at=at))


def revoke_all_sessions(conn: Connection, person_id: int, at: datetime) -> int:
    result = conn.execute(update(sessions)
                          .where(sessions.c.person_id == person_id, sessions.c.revoked_at.is_(None))
                          .values(revoked_at=at))
    return int(result.rowcount)


def revoke_other_sessions(conn: Connection, person_id: int, keep_session_id: int, at: datetime) -> int:
    """End every session of the person but one (the one asking)."""
    result = conn.execute(update(sessions)
                          .where(sessions.c.person_id == person_id, sessions.c.id != keep_session_id,
                                 sessions.c.revoked_at.is_(None))
                          .values(revoked_at=at))
    return int(result.rowcount)


def move_session_epoch(conn: Connection, session_id: int, credential_epoch: int) -> None:
    """Carry one session into a new epoch (the session that made the change stays signed in)."""
    conn.execute(update(sessions).where(sessions.c.id == session_id).values(credential_epoch=credential_epoch))


def record_attempt(conn: Connection, *, username: str, client_address: str, at: datetime,
                   succeeded: bool, cleared_by: int | None = None) -> None:
    conn.execute(insert(sign_in_attempts).values(
        username=_name(username), client_address=_address(client_address), at=at, succeeded=succeeded,
        cleared_by=cleared_by))


# A name or address that does not fit its column (a TAXII Basic username, a forwarded address) is
# counted by its first characters: the throttle still sees it, and the database never refuses it.
def _name(username: str) -> str:
    return username[:63]


def _address(client_address: str) -> str:
    return client_address[:64]


@dataclass(frozen=True, slots=True)
class Failures:
    count: int
    newest: datetime | None


def account_failures(conn: Connection, username: str, since: datetime) -> Failures:
    """Failed attempts on the account since `since` and after its last success (or clearing)."""
    username = _name(username)
    last_ok = conn.execute(
        select(func.max(sign_in_attempts.c.at))
        .where(sign_in_attempts.c.username == username, sign_in_attempts.c.succeeded.is_(True))
    ).scalar_one()
    account_since = max(since, utc(last_ok)) if last_ok is not None else since
    count, newest = conn.execute(
        select(func.count(), func.max(sign_in_attempts.c.at))
        .where(sign_in_attempts.c.username == username, sign_in_attempts.c.succeeded.is_(False),
               sign_in_attempts.c.at > account_since)
    ).one()
    return Failures(int(count), utc(newest) if newest is not None else None)


def client_failures(conn: Connection, client_address: str, since: datetime) -> Failures:
    """Failed attempts from one client address since `since`."""
    client_address = _address(client_address)
    count, newest = conn.execute(
        select(func.count(), func.max(sign_in_attempts.c.at))
        .where(sign_in_attempts.c.client_address == client_address,
               sign_in_attempts.c.succeeded.is_(False), sign_in_attempts.c.at > since)
    ).one()
    return Failures(int(count), utc(newest) if newest is not None else None)
