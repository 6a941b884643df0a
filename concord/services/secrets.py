"""Secrets the database must not hold in clear (TOTP seeds), sealed with keys kept outside it.

The keys live in one file (`secrets_key_file`, by default DATA_DIR/keys/secrets.keys), created 0600 on
first use, one Fernet key per line, newest first. Sealing uses the newest; opening tries each, so
`concord keys rotate` can add a key, re-seal every secret, and drop the old keys. Someone with a
copy of the database (or a backup of it) but not the key file learns no second factor.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from concord.private_files import private_dir, write_private
from concord.services.identity import SECRETS_KEY, CentreIdentity


def key_check(key: bytes) -> str:
    """A key's fingerprint for the centre's identity record (it reveals nothing of the key)."""
    return hashlib.sha256(b"concord secrets key check\0" + key).hexdigest()


class SecretBox:
    def __init__(self, key_file: Path, identity: CentreIdentity | None = None) -> None:
        self.key_file = key_file
        self.identity = identity
        self._box: MultiFernet | None = None

    def _keys(self) -> list[bytes]:
        if not self.key_file.exists():
            if self.identity is not None:  # never a second key for a centre that has one
                self.identity.expect_missing(SECRETS_KEY, str(self.key_file))
            private_dir(self.key_file.parent)
            try:
                # Exclusive: of two processes starting at once, one creates the key, both use it.
                descriptor = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(Fernet.generate_key() + b"\n")
        for _ in range(50):  # another process may have created the file and not written it yet
            keys = [line.strip() for line in self.key_file.read_bytes().splitlines() if line.strip()]
            if keys:
                return keys
            time.sleep(0.02)
        raise SecretKeyMissing(f"the key file {self.key_file} is empty")

    def _fernet(self) -> MultiFernet:
        if self._box is None:
            self._box = MultiFernet([Fernet(key) for key in self._keys()])
        return self._box

    def seal(self, secret: str) -> str:
        return self._fernet().encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        for _ in range(2):
            try:
                return self._fernet().decrypt(sealed.encode()).decode()
            except InvalidToken:
                self._box = None  # the keys were rotated by another process: read them again
        raise SecretKeyMissing(f"a sealed secret does not open with any key in {self.key_file}")

    @staticmethod
    def is_sealed(value: str) -> bool:
        # Fernet tokens are url-safe base64 of a version byte 0x80: they begin "gAAAAA". A base32
        # TOTP seed (A-Z, 2-7) never contains the lower-case letter.
        return value.startswith("gAAAAA")

    def verify_identity(self) -> None:
        """The centre's key (recorded by the first process) is in our key file, or IdentityMismatch."""
        if self.identity is not None:
            self.identity.claim_any(SECRETS_KEY, [key_check(k) for k in self._keys()], str(self.key_file))

    def add_key(self) -> None:
        """Put a new key first; every key stays until `drop_old_keys`."""
        keys = self._keys()
        new = Fernet.generate_key()
        write_private(self.key_file, b"\n".join([new, *keys]) + b"\n")
        self._box = None
        if self.identity is not None:
            self.identity.replace(SECRETS_KEY, key_check(new))

    def reseal(self, sealed: str) -> str:
        """The same secret sealed with the newest key (a clear legacy seed is sealed)."""
        if not self.is_sealed(sealed):
            return self.seal(sealed)
        return self._fernet().rotate(sealed.encode()).decode()

    def drop_old_keys(self) -> None:
        write_private(self.key_file, self._keys()[0] + b"\n")
        self._box = None


class SecretKeyMissing(RuntimeError):
    """The key file does not hold the key a secret was sealed with (restored without its keys?)."""

