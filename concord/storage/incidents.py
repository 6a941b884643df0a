"""Incidents, their timelines and the centre's own incident categories.

Every read takes a `Reader` and filters with `visible_to` in the query: timeline entries are read
through their incident's marking.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    delete,
    exists,
    insert,
    select,
    update,
)

from concord.clock import utc
from concord.domain.errors import NotFound, StateConflict
from concord.domain.incident_facts import CategoryVocabulary, Counts, Links, Location
from concord.domain.incidents import Incident, IncidentReport, IncidentStatus, TimelineEntry, TimelineKind
from concord.domain.markings import Reader
from concord.storage.dialect import insert_or_ignore
from concord.storage.policy import marking_from_row, marking_values, visible_to
from concord.storage.schema import TS, BigId, marking_columns, metadata

incidents = Table(
    "incidents", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("reporter", String(3), nullable=False),
    Column("category", String(40), nullable=False),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("location", JSON, nullable=False),
    # A representative point, so lists and maps need not parse every area.
    Column("anchor_lon", Float, nullable=False),
    Column("anchor_lat", Float, nullable=False),
    Column("occurred_from", TS, nullable=False),
    Column("occurred_until", TS, nullable=True),
    Column("counts", JSON, nullable=False),
    Column("partners", String(400), nullable=False),  # "|IRQ|SYR|"
    Column("links", JSON, nullable=False),
    Column("status", String(24), nullable=False, index=True),
    Column("acknowledged_by", String(400), nullable=False),
    Column("assignees", JSON, nullable=False),
    Column("closing_note", Text, nullable=False),
    Column("reported_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False, index=True),
    Column("version", Integer, nullable=False),
    *marking_columns(),
)

incident_timeline = Table(
    "incident_timeline", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("incident_id", BigId, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("at", TS, nullable=False),
    Column("nation", String(3), nullable=False),
    Column("person_id", BigId, nullable=True),
    Column("kind", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("details", JSON, nullable=False),
)

incident_categories = Table(
    "incident_categories", metadata,
    Column("code", String(40), primary_key=True),
    Column("labels", JSON, nullable=False),
    Column("added_by", String(3), nullable=False),
    Column("added_at", TS, nullable=False),
)


def _bars(nations: frozenset[str]) -> str:
    return "|" + "|".join(sorted(nations)) + "|" if nations else ""


def _unbar(value: str) -> frozenset[str]:
    return frozenset(n for n in value.split("|") if n)


def _values(incident: Incident) -> dict[str, Any]:
    report = incident.report
    lon, lat = report.location.anchor
    return {
        "reporter": incident.reporter, "category": report.category, "title": report.title,
        "description": report.description, "location": report.location.to_dict(),
        "anchor_lon": lon, "anchor_lat": lat, "occurred_from": report.occurred_from,
        "occurred_until": report.occurred_until, "counts": report.counts.to_dict(),
        "partners": _bars(report.partners), "links": report.links.to_dict(), "status": incident.status.value,
        "acknowledged_by": _bars(incident.acknowledged_by), "assignees": dict(incident.assignees),
        "closing_note": incident.closing_note, "reported_at": incident.reported_at,
        "updated_at": incident.updated_at, "version": incident.version, **marking_values(report.marking),
    }


def _incident(row: Any) -> Incident:
    links = row["links"]
    report = IncidentReport(
        category=row["category"], title=row["title"], description=row["description"],
        location=Location.parse(row["location"]), occurred_from=utc(row["occurred_from"]),
        occurred_until=utc(row["occurred_until"]) if row["occurred_until"] is not None else None,
        counts=Counts(dict(row["counts"])), marking=marking_from_row(row), partners=_unbar(row["partners"]),
        links=Links(tuple(links["intel"]), tuple(links["operations"]), tuple(links["incidents"])),
    )
    return Incident(
        id=row["id"], reporter=row["reporter"], report=report, status=IncidentStatus(row["status"]),
        reported_at=utc(row["reported_at"]), updated_at=utc(row["updated_at"]),
        acknowledged_by=_unbar(row["acknowledged_by"]), assignees=dict(row["assignees"]),
        closing_note=row["closing_note"], version=row["version"],
    )


def add_incident(conn: Connection, incident: Incident) -> int:
    return int(conn.execute(insert(incidents).values(**_values(incident)).returning(incidents.c.id)).scalar_one())


def save_incident(conn: Connection, incident: Incident, expected_version: int) -> None:
    """Write a changed incident; refuse if someone else changed it since it was read."""
    result = conn.execute(update(incidents)
                          .where(incidents.c.id == incident.id, incidents.c.version == expected_version)
                          .values(**_values(incident)))
    if result.rowcount != 1:
        raise StateConflict("the incident was changed by someone else; reload it and try again",
                            field="version")


def get_incident(conn: Connection, reader: Reader, incident_id: int) -> Incident:
    row = conn.execute(select(incidents).where(incidents.c.id == incident_id,
                                               visible_to(incidents, reader))).first()
    if row is None:
        raise NotFound(f"no incident {incident_id}", field="incident_id")
    return _incident(row._mapping)


def list_incidents(conn: Connection, reader: Reader, *, status: str | None = None,
                   changed_since: datetime | None = None, open_only: bool = False,
                   limit: int = 500) -> list[Incident]:
    query = select(incidents).where(visible_to(incidents, reader))
    if status:
        query = query.where(incidents.c.status == status)
    if open_only:
        query = query.where(incidents.c.status != IncidentStatus.CLOSED.value)
    if changed_since is not None:
        query = query.where(incidents.c.updated_at >= changed_since)
    query = query.order_by(incidents.c.updated_at.desc(), incidents.c.id.desc()).limit(limit)
    return [_incident(r._mapping) for r in conn.execute(query)]


def incidents_in_period(conn: Connection, reader: Reader, start: datetime, end: datetime) -> list[Incident]:
    """Incidents reported or changed within [start, end) (by their timelines), as the reader may see them.

    The rows show each incident as it stands now; the timeline says what happened when.
    """
    t = incident_timeline.c
    touched = exists().where(t.incident_id == incidents.c.id, t.at >= start, t.at < end)
    query = (select(incidents)
             .where(visible_to(incidents, reader), touched)
             .order_by(incidents.c.occurred_from, incidents.c.id))
    return [_incident(r._mapping) for r in conn.execute(query)]


def add_timeline_entry(conn: Connection, incident_id: int, entry: TimelineEntry) -> None:
    conn.execute(insert(incident_timeline).values(
        incident_id=incident_id, at=entry.at, nation=entry.nation, person_id=entry.person_id,
        kind=entry.kind.value, text=entry.text, details=dict(entry.details)))


def timeline(conn: Connection, reader: Reader, incident_id: int) -> list[TimelineEntry]:
    """The incident's timeline, through the incident's marking."""
    query = (select(incident_timeline)
             .join(incidents, incidents.c.id == incident_timeline.c.incident_id)
             .where(incident_timeline.c.incident_id == incident_id, visible_to(incidents, reader))
             .order_by(incident_timeline.c.id))
    return [TimelineEntry(utc(r.at), r.nation, r.person_id, TimelineKind(r.kind), r.text, dict(r.details))
            for r in conn.execute(query)]


def vocabulary(conn: Connection) -> CategoryVocabulary:
    """The default categories plus those this centre added."""
    vocab = CategoryVocabulary()
    for row in conn.execute(select(incident_categories).order_by(incident_categories.c.added_at)):
        vocab = vocab.with_category(row.code, dict(row.labels))
    return vocab


def add_category(conn: Connection, code: str, labels: Mapping[str, str], nation: str, at: datetime) -> bool:
    """Add a category; False when `code` exists (perhaps added a moment ago by a concurrent writer,
    whose insert this one waited for on the key)."""
    added = conn.execute(insert_or_ignore(conn.dialect.name, incident_categories).values(
        code=code, labels=dict(labels), added_by=nation, added_at=at).returning(incident_categories.c.code)).first()
    return added is not None


def delete_incident(conn: Connection, incident_id: int) -> None:
    """Remove an incident and its timeline: only a copy whose originator's node no longer releases it here
    (services/federation_feed.py)."""
    conn.execute(delete(incident_timeline).where(incident_timeline.c.incident_id == incident_id))
    conn.execute(delete(incidents).where(incidents.c.id == incident_id))


def replace_timeline(conn: Connection, incident_id: int, entries: list[TimelineEntry]) -> None:
    """Make the incident's timeline exactly `entries` (a copy of what its originator's node holds)."""
    conn.execute(delete(incident_timeline).where(incident_timeline.c.incident_id == incident_id))
    for entry in entries:
        add_timeline_entry(conn, incident_id, entry)


def get_any(conn: Connection, incident_id: int) -> Incident | None:
    """Unfiltered: for the federation feed's own checks, never returned to a caller."""
    row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
    return _incident(row._mapping) if row else None


def timeline_of(conn: Connection, incident_id: int) -> list[TimelineEntry]:
    """Unfiltered: the caller has already decided who may see the incident."""
    query = select(incident_timeline).where(incident_timeline.c.incident_id == incident_id).order_by(
        incident_timeline.c.id)
    return [TimelineEntry(utc(r.at), r.nation, r.person_id, TimelineKind(r.kind), r.text, dict(r.details))
            for r in conn.execute(query)]


def visible_incidents(conn: Connection, reader: Reader, incident_ids: list[int]) -> dict[int, Incident]:
    """Those of `incident_ids` the reader may see, by id, with their timelines (two queries for a page)."""
    rows = conn.execute(select(incidents).where(incidents.c.id.in_(incident_ids), visible_to(incidents, reader)))
    return {int(r.id): _incident(r._mapping) for r in rows}


def timelines_of(conn: Connection, incident_ids: list[int]) -> dict[int, list[TimelineEntry]]:
    """Unfiltered: the caller has already decided who may see these incidents."""
    found: dict[int, list[TimelineEntry]] = {i: [] for i in incident_ids}
    query = select(incident_timeline).where(incident_timeline.c.incident_id.in_(incident_ids)).order_by(
        incident_timeline.c.id)
    for r in conn.execute(query):
        found[int(r.incident_id)].append(TimelineEntry(utc(r.at), r.nation, r.person_id, TimelineKind(r.kind), r.text,
                                                       dict(r.details)))
    return found


def overwrite_incident(conn: Connection, incident: Incident) -> None:
    """Write a copy's state as its originator's node holds it (no local edit races a copy: none is allowed)."""
    conn.execute(update(incidents).where(incidents.c.id == incident.id).values(**_values(incident)))
