"""The one rule for times that come from outside (REST, TAXII, WebSocket, CLI, CoT): ISO 8601 text
with an explicit offset, converted to UTC, within a range every later computation can handle.

A number is not a time (`0.5` or `0` would otherwise read as seconds since 1970), a time without an
offset is ambiguous on a border between two time zones, and an instant near the ends of Python's
range overflows when converted to UTC or moved by a window or a buffer.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from concord.domain.errors import Invalid

#: Times are accepted in [EARLIEST, LATEST) (UTC): wide enough for any real record, far enough from
#: the ends of `datetime`'s range that windows, buffers and days added to them cannot overflow.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
EXAMPLE = "2026-11-29T12:00:00Z"


def is_number(value: Any) -> bool:
    """True for a JSON number or text that reads as one (both are refused where a time belongs)."""
    return isinstance(value, bool | int | float) or (isinstance(value, str) and _NUMBER.match(value) is not None)


def to_utc(value: datetime, field: str) -> datetime:
    """An aware time in UTC, or `Invalid` naming `field` (no offset, or outside the range)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise Invalid(f"{field} needs its UTC offset, e.g. {EXAMPLE}", field=field)
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise Invalid(f"{field} must lie between {EARLIEST.year} and {LATEST.year} (UTC)", field=field)
    return utc


def parse_utc(value: Any, field: str) -> datetime:
    """ISO 8601 text with an offset (or an aware datetime), returned in UTC; `Invalid` otherwise."""
    if isinstance(value, datetime):
        return to_utc(value, field)
    if not isinstance(value, str) or is_number(value):
        raise Invalid(f"{field} must be an ISO 8601 time such as {EXAMPLE}", field=field)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise Invalid(f"{field} must be an ISO 8601 time such as {EXAMPLE}", field=field) from None
    return to_utc(parsed, field)


def check_day(value: date, field: str) -> date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise Invalid(f"{field} must lie between {EARLIEST.year} and {LATEST.year}", field=field)
    return value
