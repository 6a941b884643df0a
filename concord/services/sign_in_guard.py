"""The sign-in throttle every sign-in path shares (web sign-in, TAXII Basic): progressive delay per
client address and per account, failures recorded in the database so that every process sees them.

Not `limits`: its stores are process memory, Redis, Memcached and MongoDB, and a centre may run
several processes on PostgreSQL with no Redis; the sign-in attempts table is already the one place
every process shares, and the counts are two indexed queries.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from concord.domain.errors import Throttled
from concord.domain.throttle import DelayPolicy
from concord.settings import Settings
from concord.storage import sessions as store
from concord.storage.db import Database


class SignInGuard:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.window = timedelta(seconds=settings.login_window_seconds)
        self.account = DelayPolicy(settings.login_free_failures_per_account, settings.login_delay_base_seconds,
                                   settings.login_delay_cap_seconds)
        self.client = DelayPolicy(settings.login_free_failures_per_address, settings.login_delay_base_seconds,
                                  settings.login_delay_cap_seconds)

    def check_client(self, client_address: str, now: datetime) -> None:
        """Throttled while this client address must wait; it says nothing about any account."""
        with self.db.read() as conn:
            failures = store.client_failures(conn, client_address, now - self.window)
        wait = self.client.wait(failures.count, failures.newest, now)
        if wait:
            raise Throttled("too many failed sign-in attempts from this address; try again later",
                            retry_after=wait)

    def account_wait(self, username: str, now: datetime) -> int:
        """Seconds the account must wait before a password alone is tried again (0: none)."""
        with self.db.read() as conn:
            failures = store.account_failures(conn, username, now - self.window)
        return self.account.wait(failures.count, failures.newest, now)

    @staticmethod
    def account_throttled(wait: int) -> Throttled:
        return Throttled("too many failed sign-in attempts on this account; try again later, sign in with "
                         "your one-time code, or ask an administrator of your nation", retry_after=wait)

    def failed(self, username: str, client_address: str, now: datetime) -> None:
        with self.db.write() as tx:
            store.record_attempt(tx.conn, username=username, client_address=client_address, at=now,
                                 succeeded=False)
