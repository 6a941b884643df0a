"""Incidents: a cross-border security event reported by one nation and worked on with its partners.

Lifecycle: reported → acknowledged (once every concerned partner has acknowledged) → under
investigation → closed. Each nation involved names its own assignee. Every change adds a timeline
entry. A closed incident is frozen: edits, assignments and comments are refused.

The functions here are pure: they take an `Incident` and return the changed `Incident` with the
`TimelineEntry` to record; the service stores both and writes the event in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from concord.domain import coordination_fields as f
from concord.domain.errors import Forbidden, Invalid, StateConflict
from concord.domain.incident_facts import CategoryVocabulary, Counts, Links, Location
from concord.domain.markings import Marking, may_widen

#: Reports may be stamped slightly ahead of the centre's clock by a field device.
CLOCK_SKEW = timedelta(minutes=5)


class IncidentStatus(StrEnum):
    REPORTED = "reported"
    ACKNOWLEDGED = "acknowledged"
    UNDER_INVESTIGATION = "under_investigation"
    CLOSED = "closed"


class TimelineKind(StrEnum):
    REPORTED = "reported"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATION_STARTED = "investigation_started"
    CLOSED = "closed"
    EDITED = "edited"
    ASSIGNED = "assigned"
    COMMENT = "comment"


@dataclass(frozen=True, slots=True)
class IncidentReport:
    """The editable content of an incident."""

    category: str
    title: str
    description: str
    location: Location
    occurred_from: datetime
    occurred_until: datetime | None
    counts: Counts
    marking: Marking
    partners: frozenset[str]  # concerned nations other than the reporter
    links: Links = field(default_factory=Links)

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category, "title": self.title, "description": self.description,
            "location": self.location.to_dict(), "occurred_from": self.occurred_from,
            "occurred_until": self.occurred_until, "counts": self.counts.to_dict(),
            "marking": self.marking.to_dict(), "partners": sorted(self.partners),
            "links": self.links.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Incident:
    id: int | None
    reporter: str
    report: IncidentReport
    status: IncidentStatus
    reported_at: datetime
    updated_at: datetime
    acknowledged_by: frozenset[str] = frozenset()
    assignees: Mapping[str, int] = field(default_factory=dict)
    closing_note: str = ""
    version: int = 1

    @property
    def involved(self) -> frozenset[str]:
        """The reporter and every concerned partner."""
        return self.report.partners | {self.reporter}

    @property
    def awaiting_acknowledgement(self) -> frozenset[str]:
        return self.report.partners - self.acknowledged_by

    @property
    def is_open(self) -> bool:
        return self.status is not IncidentStatus.CLOSED


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    nation: str
    person_id: int | None
    kind: TimelineKind
    text: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


_REPORT_FIELDS = ("category", "title", "description", "location", "occurred_from", "occurred_until",
                  "counts", "marking", "partners", "links")


def parse_report(raw: Mapping[str, Any], reporter: str, vocabulary: CategoryVocabulary,
                 now: datetime) -> IncidentReport:
    """Validate a report as submitted (JSON-shaped input)."""
    unknown = set(raw) - set(_REPORT_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise Invalid(f"unknown field {name!r}", field=name)
    occurred_from = f.utc_time(raw.get("occurred_from"), "occurred_from")
    occurred_until = (f.utc_time(raw["occurred_until"], "occurred_until")
                      if raw.get("occurred_until") is not None else None)
    report = IncidentReport(
        category=vocabulary.check(raw.get("category")),
        title=f.text(raw.get("title"), "title", max_length=200, single_line=True),
        description=f.text(raw.get("description", ""), "description", max_length=20_000, required=False),
        location=Location.parse(raw.get("location")),
        occurred_from=occurred_from,
        occurred_until=occurred_until,
        counts=Counts.parse(raw.get("counts")),
        marking=f.marking(raw.get("marking")),
        partners=f.nations(raw.get("partners", ()), "partners"),
        links=Links.parse(raw.get("links")),
    )
    return check_report(report, reporter, now)


def check_report(report: IncidentReport, reporter: str, now: datetime) -> IncidentReport:
    """Rules that relate fields to each other and to the reporting nation."""
    if report.occurred_from > now + CLOCK_SKEW:
        raise Invalid("occurred_from is in the future", field="occurred_from")
    if report.occurred_until is not None:
        if report.occurred_until < report.occurred_from:
            raise Invalid("occurred_until is before occurred_from", field="occurred_until")
        if report.occurred_until > now + CLOCK_SKEW:
            raise Invalid("occurred_until is in the future", field="occurred_until")
    if report.marking.originator != reporter:
        raise Invalid("the reporting nation is the originator of an incident's marking",
                      field="marking.originator")
    if reporter in report.partners:
        raise Invalid("partners are the concerned nations other than the reporter", field="partners")
    unseen = sorted(report.partners - report.marking.audience)
    if unseen:
        raise Invalid("the marking does not release the incident to concerned partner(s) "
                      f"{', '.join(unseen)}", field="partners")
    return report


def report_incident(report: IncidentReport, reporter: str, person_id: int | None,
                    now: datetime) -> tuple[Incident, TimelineEntry]:
    incident = Incident(None, reporter, report, IncidentStatus.REPORTED, now, now)
    return incident, TimelineEntry(now, reporter, person_id, TimelineKind.REPORTED, report.title)


def acknowledge(incident: Incident, nation: str, person_id: int | None,
                now: datetime) -> tuple[Incident, TimelineEntry]:
    """A concerned partner acknowledges; the last acknowledgement moves the incident on."""
    _refuse_if_closed(incident)
    if nation == incident.reporter:
        raise Forbidden("the reporting nation does not acknowledge its own incident", field="nation")
    if nation not in incident.report.partners:
        raise Forbidden(f"{nation} is not a concerned partner of this incident", field="nation")
    if nation in incident.acknowledged_by:
        raise StateConflict(f"{nation} has already acknowledged this incident", field="nation")
    acknowledged = incident.acknowledged_by | {nation}
    status = incident.status
    if status is IncidentStatus.REPORTED and incident.report.partners <= acknowledged:
        status = IncidentStatus.ACKNOWLEDGED
    changed = _touch(incident, now, acknowledged_by=acknowledged, status=status)
    return changed, TimelineEntry(now, nation, person_id, TimelineKind.ACKNOWLEDGED)


def start_investigation(incident: Incident, nation: str, person_id: int | None,
                        now: datetime) -> tuple[Incident, TimelineEntry]:
    _refuse_if_closed(incident)
    _require_involved(incident, nation)
    if incident.status is not IncidentStatus.ACKNOWLEDGED:
        waiting = ", ".join(sorted(incident.awaiting_acknowledgement)) or "nobody"
        raise StateConflict(
            f"an investigation starts once every concerned partner has acknowledged (status is "
            f"{incident.status.value}; awaiting {waiting})", field="status")
    changed = _touch(incident, now, status=IncidentStatus.UNDER_INVESTIGATION)
    return changed, TimelineEntry(now, nation, person_id, TimelineKind.INVESTIGATION_STARTED)


def close(incident: Incident, nation: str, person_id: int | None, note: Any,
          now: datetime) -> tuple[Incident, TimelineEntry]:
    _refuse_if_closed(incident)
    _require_involved(incident, nation)
    if incident.status is not IncidentStatus.UNDER_INVESTIGATION:
        raise StateConflict(f"only an incident under investigation can be closed (status is "
                            f"{incident.status.value})", field="status")
    closing_note = f.text(note, "note", max_length=5000)
    changed = _touch(incident, now, status=IncidentStatus.CLOSED, closing_note=closing_note)
    return changed, TimelineEntry(now, nation, person_id, TimelineKind.CLOSED, closing_note)


def edit(incident: Incident, changes: Mapping[str, Any], nation: str, person_id: int | None,
         vocabulary: CategoryVocabulary, now: datetime) -> tuple[Incident, TimelineEntry]:
    """The reporting nation corrects its report; partners comment instead."""
    _refuse_if_closed(incident)
    if nation != incident.reporter:
        raise Forbidden("only the reporting nation edits an incident's report; partners add comments",
                        field="nation")
    if not changes:
        raise Invalid("nothing to change", field="changes")
    merged = {**_as_input(incident.report), **changes}
    report = parse_report(merged, incident.reporter, vocabulary, now)
    if not may_widen(nation, incident.report.marking, report.marking):
        raise Forbidden("only the originator may widen an incident's release", field="marking")
    changed_fields = sorted(k for k in changes if getattr(report, k) != getattr(incident.report, k))
    if not changed_fields:
        raise Invalid("the changes leave the report as it was", field="changes")
    # A partner that is no longer concerned leaves; a new one still has to acknowledge.
    acknowledged = incident.acknowledged_by & report.partners
    assignees = {n: p for n, p in incident.assignees.items() if n in report.partners | {incident.reporter}}
    status = incident.status
    if status is IncidentStatus.ACKNOWLEDGED and not report.partners <= acknowledged:
        status = IncidentStatus.REPORTED
    elif status is IncidentStatus.REPORTED and report.partners <= acknowledged:
        status = IncidentStatus.ACKNOWLEDGED
    changed = _touch(incident, now, report=report, acknowledged_by=acknowledged, assignees=assignees,
                     status=status)
    entry = TimelineEntry(now, nation, person_id, TimelineKind.EDITED, ", ".join(changed_fields),
                          {"fields": changed_fields})
    return changed, entry


def assign(incident: Incident, nation: str, assignee_id: Any, actor_nation: str,
           person_id: int | None, now: datetime) -> tuple[Incident, TimelineEntry]:
    """Each involved nation names (or replaces) its own assignee, never another nation's."""
    _refuse_if_closed(incident)
    _require_involved(incident, actor_nation)
    if nation != actor_nation:
        raise Forbidden("a nation assigns only its own people to an incident", field="nation")
    assignee = f.positive_id(assignee_id, "assignee_id")
    changed = _touch(incident, now, assignees={**incident.assignees, nation: assignee})
    return changed, TimelineEntry(now, nation, person_id, TimelineKind.ASSIGNED, "",
                                  {"assignee_id": assignee})


def comment(incident: Incident, nation: str, person_id: int | None, body: Any,
            now: datetime) -> tuple[Incident, TimelineEntry]:
    _refuse_if_closed(incident)
    _require_involved(incident, nation)
    entry = TimelineEntry(now, nation, person_id, TimelineKind.COMMENT,
                          f.text(body, "text", max_length=10_000))
    return _touch(incident, now), entry


def _refuse_if_closed(incident: Incident) -> None:
    if incident.status is IncidentStatus.CLOSED:
        raise StateConflict("the incident is closed and can no longer be changed", field="status")


def _require_involved(incident: Incident, nation: str) -> None:
    if nation not in incident.involved:
        raise Forbidden(f"{nation} is neither the reporter nor a concerned partner of this incident",
                        field="nation")


def _touch(incident: Incident, now: datetime, **changes: Any) -> Incident:
    return replace(incident, updated_at=now, version=incident.version + 1, **changes)


def _as_input(report: IncidentReport) -> dict[str, Any]:
    """The report in the shape `parse_report` accepts, so an edit re-runs every rule."""
    return {
        "category": report.category, "title": report.title, "description": report.description,
        "location": report.location.to_dict(), "occurred_from": report.occurred_from,
        "occurred_until": report.occurred_until, "counts": report.counts.to_dict(),
        "marking": report.marking, "partners": sorted(report.partners), "links": report.links.to_dict(),
    }
