"""Field checks shared by incidents, RFIs, public releases, operations, sites and activities.

Each check takes raw input (as parsed from JSON or the CLI), returns the clean value, and raises
`Invalid` naming the field otherwise, so an adapter can hand user input straight to the domain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from concord.domain import times
from concord.domain.errors import Invalid
from concord.domain.markings import Level, Marking, check_nation_code

# STIX 2.1 identifiers (`type--UUID`), as linked from incidents and releases.
STIX_ID = re.compile(r"^[a-z][a-z0-9-]{0,62}--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def utc_time(value: Any, field: str) -> datetime:
    """An ISO 8601 time with an explicit offset (or an aware datetime), returned in UTC.

    A time without an offset is refused: on a border between two time zones "14:00" is ambiguous.
    """
    return times.parse_utc(value, field)


def text(value: Any, field: str, *, max_length: int, required: bool = True, single_line: bool = False) -> str:
    """A trimmed string of at most `max_length` characters: the one text check of every feature, so
    the same mistake reads the same everywhere."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise Invalid(f"{field} must be text", field=field)
    cleaned = value.strip()
    if required and not cleaned:
        raise Invalid(f"{field} must not be empty", field=field)
    if len(cleaned) > max_length:
        raise Invalid(f"{field} is at most {max_length} characters (got {len(cleaned)})", field=field)
    if single_line and ("\n" in cleaned or "\r" in cleaned):
        raise Invalid(f"{field} must be a single line", field=field)
    return cleaned


def nation(value: Any, field: str) -> str:
    try:
        return check_nation_code(value)
    except ValueError as exc:
        raise Invalid(str(exc), field=field) from None


def nations(values: Any, field: str, *, minimum: int = 1) -> frozenset[str]:
    """A set of ISO 3166-1 alpha-3 codes; duplicates collapse, order does not matter."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise Invalid(f"{field} must be a list of nation codes", field=field)
    out = frozenset(nation(v, f"{field}[{i}]") for i, v in enumerate(values))
    if len(out) < minimum:
        raise Invalid(f"{field} needs at least {minimum} nation(s)", field=field)
    return out


def count(value: Any, field: str) -> int:
    """A non-negative whole number (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{field} must be a whole number", field=field)
    if value < 0:
        raise Invalid(f"{field} must not be negative", field=field)
    if value > 10_000_000:
        raise Invalid(f"{field} is implausibly large", field=field)
    return value


def level(value: Any, field: str) -> Level:
    if isinstance(value, Level):
        return value
    if isinstance(value, str) and value.upper() in Level.__members__:
        return Level[value.upper()]
    raise Invalid(f"{field} must be one of {', '.join(Level.__members__)}", field=field)


def marking(value: Any, field: str = "marking") -> Marking:
    """A marking from its JSON form ({level, originator, releasable_to, tlp, caveats})."""
    if isinstance(value, Marking):
        return value
    if not isinstance(value, Mapping):
        raise Invalid(f"{field} must be an object with level, originator and releasable_to", field=field)
    try:
        return Marking.build(
            level(value.get("level"), f"{field}.level"),
            nation(value.get("originator"), f"{field}.originator"),
            nations(value.get("releasable_to", ()), f"{field}.releasable_to", minimum=0),
            value.get("tlp", "AMBER"),
            value.get("caveats", ()),
        )
    except ValueError as exc:
        raise Invalid(f"{field}: {exc}", field=field) from None


def stix_id(value: Any, field: str) -> str:
    if not isinstance(value, str) or not STIX_ID.match(value):
        raise Invalid(f"{field} must be a STIX 2.1 identifier (type--uuid)", field=field)
    return value


def positive_id(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid(f"{field} must be a positive whole number", field=field)
    return value
