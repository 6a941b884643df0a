"""Time comes from a clock object so that deadlines and appointment dates can be tested."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, at: datetime | None = None) -> None:
        self._at = at or datetime.now(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta

    def set(self, at: datetime) -> None:
        self._at = at


def utc(dt: datetime) -> datetime:
    """Naive datetimes (as SQLite returns them) are UTC in Concord."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def iso(dt: datetime) -> str:
    """ISO 8601 UTC with a Z, to the millisecond."""
    return utc(dt).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def later(dt: datetime, **kwargs: float) -> datetime:
    return dt + timedelta(**kwargs)
