"""One centre, one identity, whatever the number of processes (issue 21 item 11).

The centre's keys — the audit log's signing key, the key file sealing TOTP seeds, the TAK
certificate authority — live in the data directory, never in the database. Several `concord serve`
processes on one database must use the same ones, or the published log key, the sealed seeds and
the certificates a device trusts would depend on which process answered. So the first process to
have a key records its public half (a fingerprint) in the database; every process, at start and
when it first uses a key, compares its own with the recorded one, and refuses with a clear message
when they differ or when its data directory lacks a key the centre already has. It never makes a
second key for a centre that has one.
"""

from __future__ import annotations

from concord.clock import Clock
from concord.domain.errors import Code, ConcordError
from concord.storage import centre_identity as store
from concord.storage.db import Database

AUDIT_LOG_KEY = "audit-log-key"
SECRETS_KEY = "secrets-key"
TAK_CA = "tak-ca"

SHARE = ("every process of one centre uses the same keys: give this process the data directory's keys "
         "of the first (audit/centre.skey, keys/secrets.keys, cot-ca/) or one shared data directory")


class IdentityMismatch(ConcordError):
    """This process's keys are not the centre's: it must not serve (nor sign, seal or issue)."""

    code = Code.UNAVAILABLE


class CentreIdentity:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def recorded(self, component: str) -> str | None:
        with self.db.read() as conn:
            return store.recorded(conn, component)

    def expect_missing(self, component: str, where: str) -> None:
        """Before making a new key at `where`: refuse if the centre already has one."""
        if self.recorded(component) is not None:
            raise IdentityMismatch(f"this centre's {component} is not in {where}; {SHARE}", field=component)

    def claim(self, component: str, fingerprint: str, where: str) -> None:
        """Record our key's fingerprint if the centre has none yet; refuse if it has another."""
        with self.db.write() as tx:
            stored = store.record_first(tx.conn, component, fingerprint, self.clock.now())
        if stored != fingerprint:
            raise IdentityMismatch(
                f"the {component} in {where} ({fingerprint[:24]}…) is not this centre's ({stored[:24]}…); {SHARE}",
                field=component)

    def claim_any(self, component: str, fingerprints: list[str], where: str) -> None:
        """As `claim`, for a key file holding several keys (newest first): the centre's must be among them."""
        with self.db.write() as tx:
            stored = store.record_first(tx.conn, component, fingerprints[0], self.clock.now())
        if stored not in fingerprints:
            raise IdentityMismatch(f"the {component} file {where} does not hold this centre's key; {SHARE}",
                                   field=component)

    def replace(self, component: str, fingerprint: str) -> None:
        """A deliberate rotation: the new key is the centre's from now on."""
        with self.db.write() as tx:
            store.replace(tx.conn, component, fingerprint, self.clock.now())
