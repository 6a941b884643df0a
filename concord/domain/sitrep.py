"""The daily situation report (SITREP): what happened in a period, as one reader may see it.

The report is assembled from rows that storage already filtered through the policy; this module
adds what a filed document needs: the period, the date-time group, key figures and the overall
marking (the highest level contained, releasable only where every item is releasable, the most
restrictive TLP). `Sitrep.ensure_visible_to` is a last check before rendering: a row the reader
may not see is a bug upstream, and the report is refused rather than printed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from concord.domain.errors import Invalid
from concord.domain.incident_facts import Counts, Location
from concord.domain.markings import Level, Marking, Reader, Tlp, can_see

MAX_PERIOD = timedelta(days=31)
_TLP_ORDER = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
PRECEDENCES = ("FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE")


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise Invalid("a period's bounds carry a time zone", field="period")
        if self.end <= self.start:
            raise Invalid("the period ends after it starts", field="until")
        if self.end - self.start > MAX_PERIOD:
            raise Invalid("a SITREP covers at most 31 days", field="until")

    @classmethod
    def day(cls, day: date) -> Period:
        start = datetime.combine(day, time(0, 0), tzinfo=UTC)
        return cls(start, start + timedelta(days=1))

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def dtg(moment: datetime) -> str:
    """A military date-time group: 291230Z NOV 26."""
    m = moment.astimezone(UTC)
    return f"{m:%d%H%M}Z {_MONTHS[m.month - 1]} {m:%y}"


@dataclass(frozen=True, slots=True)
class IncidentRow:
    id: int
    title: str
    category: str  # the label in the report's language
    status: str
    reporter: str
    partners: frozenset[str]
    occurred_from: datetime
    location: Location
    counts: Counts
    marking: Marking
    is_new: bool  # reported within the period (else: changed within it)


@dataclass(frozen=True, slots=True)
class RfiRow:
    id: int
    subject: str
    requester: str
    recipients: frozenset[str]
    priority: str
    status: str
    ltiov: datetime
    overdue: bool
    marking: Marking


@dataclass(frozen=True, slots=True)
class OperationRow:
    id: int
    name: str
    state: str
    lead: str
    starts: datetime | None
    ends: datetime | None
    marking: Marking


@dataclass(frozen=True, slots=True)
class ConflictRow:
    id: int
    summary: str
    status: str
    marking: Marking


@dataclass(frozen=True, slots=True)
class CorrelationRow:
    value: str
    nations: frozenset[str]
    sightings: int
    marking: Marking


@dataclass(frozen=True, slots=True)
class MessageVolume:
    """Messages the reader may see in the period, counted by precedence.

    `marking` is the highest marking among the counted messages, so the counts are classified no
    lower than what they count.
    """

    by_precedence: Mapping[str, int]
    marking: Marking | None = None

    @property
    def total(self) -> int:
        return sum(self.by_precedence.values())


@dataclass(frozen=True, slots=True)
class DocumentMarking:
    level: Level
    audience: frozenset[str] | None  # None: nothing restricts it (no marked content)
    tlp: Tlp

    def banner(self, labels: Mapping[str, str] | None = None) -> str:
        """`SECRET (GİZLİ) // REL TO IRQ, TUR // TLP:AMBER`; national label in brackets if given."""
        name = self.level.name
        national = (labels or {}).get(name)
        # First-strong isolate around the national label: an Arabic label must not reorder the
        # brackets and slashes around it (Unicode bidi, UAX #9 isolates).
        head = f"{name} (\u2068{national}\u2069)" if national and national != name else name
        if self.audience is None:
            return f"{head} // TLP:{self.tlp.value}"
        if len(self.audience) == 1:
            return f"{head} // {next(iter(self.audience))} ONLY // TLP:{self.tlp.value}"
        return f"{head} // REL TO {', '.join(sorted(self.audience))} // TLP:{self.tlp.value}"


def document_marking(markings: Iterable[Marking]) -> DocumentMarking:
    ms = list(markings)
    if not ms:
        return DocumentMarking(Level.UNCLASSIFIED, None, Tlp.CLEAR)
    audience = frozenset.intersection(*(m.audience for m in ms))
    tlp = max((m.tlp for m in ms), key=_TLP_ORDER.index)
    return DocumentMarking(max(m.level for m in ms), audience, tlp)


@dataclass(frozen=True, slots=True)
class Sitrep:
    centre: str
    reader_name: str
    reader: Reader
    period: Period
    generated_at: datetime
    incidents: Sequence[IncidentRow] = ()
    rfis: Sequence[RfiRow] = ()
    operations: Sequence[OperationRow] = ()
    conflicts: Sequence[ConflictRow] = ()
    correlations: Sequence[CorrelationRow] = ()
    messages: MessageVolume = field(default_factory=lambda: MessageVolume({}))
    sections_unavailable: Sequence[str] = ()  # features not installed on this centre

    def markings(self) -> list[Marking]:
        rows: list[Any] = [*self.incidents, *self.rfis, *self.operations, *self.conflicts, *self.correlations]
        out = [r.marking for r in rows]
        if self.messages.marking is not None:
            out.append(self.messages.marking)
        return out

    @property
    def classification(self) -> DocumentMarking:
        return document_marking(self.markings())

    def ensure_visible_to(self, reader: Reader) -> None:
        """Refuse to render a report holding anything the policy denies the reader."""
        for marking in self.markings():
            if not can_see(reader, marking):
                raise RuntimeError("policy violation: a SITREP row is not releasable to its reader")

    @property
    def new_incidents(self) -> list[IncidentRow]:
        return [i for i in self.incidents if i.is_new]

    @property
    def changed_incidents(self) -> list[IncidentRow]:
        return [i for i in self.incidents if not i.is_new]

    def key_figures(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.incidents:
            for key, value in row.counts.values.items():
                counts[key] = counts.get(key, 0) + value
        return {
            "new_incidents": len(self.new_incidents),
            "changed_incidents": len(self.changed_incidents),
            "killed": counts.get("killed", 0),
            "injured": counts.get("injured", 0),
            "open_rfis": sum(1 for r in self.rfis if r.status in ("submitted", "accepted", "answered")),
            "overdue_rfis": sum(1 for r in self.rfis if r.overdue),
            "active_operations": sum(1 for o in self.operations if o.state == "active"),
            "open_conflicts": sum(1 for c in self.conflicts if c.status != "resolved"),
            "messages": self.messages.total,
        }
