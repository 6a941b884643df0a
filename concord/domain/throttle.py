"""Sign-in throttling as progressive delay, never a lock-out.

A few failures are free; after them each further attempt must wait twice as long as the one before,
up to a cap, counted from the newest failure. The delay slows a guesser to a trickle while anyone
who knows the password waits at most the cap. Pure arithmetic: the services count the failures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class DelayPolicy:
    free: int  # failures allowed before any delay
    base_seconds: float  # the first delay
    cap_seconds: float  # the longest delay

    def delay(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return float(min(self.base_seconds * 2.0 ** min(failures - self.free, 32), self.cap_seconds))

    def wait(self, failures: int, newest: datetime | None, now: datetime) -> int:
        """Whole seconds still to wait before the next attempt (0: go ahead)."""
        if newest is None:
            return 0
        remaining = (newest + timedelta(seconds=self.delay(failures)) - now).total_seconds()
        return max(math.ceil(remaining), 0)
