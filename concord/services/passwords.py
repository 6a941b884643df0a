"""argon2id password hashing (argon2-cffi)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    def __init__(self, *, time_cost: int = 3, memory_kib: int = 64 * 1024) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        # Verified against when the account does not exist, so timing does not reveal usernames.
        self._dummy = self._hasher.hash("concord-timing-equaliser")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, hashed: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(hashed or self._dummy, password) and hashed is not None
        except (VerificationError, InvalidHashError):
            return False
