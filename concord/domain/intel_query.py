"""What a read of intelligence asks for, independent of the adapter that asked: the position in
the feed (`Cursor`), the filters and page of a query (`ObjectQuery`, `VersionMatch`), and the
date-added key every version is ordered by (TAXII 2.1 §3.4, §3.5 define them; the REST API and the
CLI use them too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True, order=True)
class Cursor:
    """The position just after an item: its date_added (a `timestamp_key`) and storage id."""

    date_added: str
    row_id: int


@dataclass(frozen=True, slots=True)
class VersionMatch:
    """`match[version]` (§3.5.1): first, last, all and/or specific versions. Default: last."""

    first: bool = False
    last: bool = True
    all: bool = False
    versions: frozenset[str] = frozenset()  # timestamp keys

    @property
    def is_default(self) -> bool:
        return self == VersionMatch()


@dataclass(frozen=True, slots=True)
class ObjectQuery:
    """The filters and page of one TAXII request (only those its endpoint supports are set)."""

    ids: frozenset[str] | None = None
    types: frozenset[str] | None = None
    versions: VersionMatch = field(default_factory=VersionMatch)
    spec_versions: frozenset[str] | None = None
    added_after: str | None = None  # timestamp key
    limit: int = DEFAULT_PAGE_SIZE
    after: Cursor | None = None


def date_added_key(moment: datetime) -> str:
    """A database time as a timestamp key (microsecond precision, as both databases store it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}000Z"


def render_timestamp(key: str) -> str:
    """A timestamp key as TAXII writes timestamps: millisecond precision unless more is needed."""
    whole, fraction = key[:-1].split(".")
    fraction = fraction.rstrip("0")
    if len(fraction) <= 3:
        fraction = fraction.ljust(3, "0")
    elif len(fraction) <= 6:
        fraction = fraction.ljust(6, "0")
    return f"{whole}.{fraction}Z"
