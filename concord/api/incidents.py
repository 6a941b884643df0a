"""Incidents over HTTP: report, read, edit, acknowledge, investigate, close, assign, comment."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, Field

from concord.api.deps import ActorDep, CentreDep
from concord.api.models import Id, MarkingIn, MarkingOut, NationCode, Strict, UtcDateTime
from concord.api.read_audit import MarkedOut, api_router
from concord.clock import iso
from concord.domain.incidents import Incident, IncidentStatus, TimelineEntry
from concord.domain.people import Actor
from concord.services.incidents import IncidentView

router = api_router(prefix="/api", tags=["incidents"])

Text200 = Annotated[str, Field(max_length=200)]


class IncidentIn(Strict):
    category: Annotated[str, Field(max_length=40, description="a code from GET /api/incident-categories")]
    title: Text200
    description: Annotated[str, Field(max_length=20_000)] = ""
    location: Annotated[dict[str, Any], Field(description="GeoJSON Point, Polygon or MultiPolygon (RFC 7946)")]
    occurred_from: Annotated[str, Field(description="ISO 8601 with offset, e.g. 2026-11-29T03:10:00Z")]
    occurred_until: str | None = None
    counts: Annotated[dict[str, Any], Field(description="killed, injured, missing, abducted, displaced, "
                                                        "structures_damaged, vehicles_damaged")] = Field(
        default_factory=dict)
    marking: MarkingIn
    partners: Annotated[list[NationCode], Field(max_length=50, description="concerned nations besides yours")]
    links: dict[str, list[Any]] | None = None

    def to_raw(self, actor: Actor, *, partial: bool = False) -> dict[str, Any]:
        raw = self.model_dump(exclude_unset=partial)
        if "marking" in raw:
            raw["marking"] = self.marking.to_marking(actor.nation)
        return raw


class IncidentPatch(Strict):
    """Only the fields given change; every rule is checked again on the whole report."""

    category: Annotated[str, Field(max_length=40)] | None = None
    title: Text200 | None = None
    description: Annotated[str, Field(max_length=20_000)] | None = None
    location: dict[str, Any] | None = None
    occurred_from: str | None = None
    occurred_until: str | None = None
    counts: dict[str, Any] | None = None
    marking: MarkingIn | None = None
    partners: Annotated[list[NationCode], Field(max_length=50)] | None = None
    links: dict[str, list[Any]] | None = None


class NoteIn(Strict):
    note: Annotated[str, Field(max_length=5000)]


class CommentIn(Strict):
    text: Annotated[str, Field(max_length=10_000)]


class AssigneeIn(Strict):
    person_id: Id


class CategoryIn(Strict):
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
    names: dict[Annotated[str, Field(pattern="^(en|tr|ar)$")], Annotated[str, Field(max_length=80)]]


class TimelineOut(BaseModel):
    at: str
    nation: str
    person_id: int | None
    kind: str
    text: str
    details: dict[str, Any]

    @classmethod
    def of(cls, e: TimelineEntry) -> TimelineOut:
        return cls(at=iso(e.at), nation=e.nation, person_id=e.person_id, kind=e.kind.value, text=e.text,
                   details=dict(e.details))


class IncidentOut(MarkedOut):
    audit_type = "incident"

    id: int
    reporter: str
    category: str
    category_label: str | None = None
    title: str
    description: str
    location: dict[str, Any]
    occurred_from: str
    occurred_until: str | None
    counts: dict[str, int]
    partners: list[str]
    links: dict[str, list[Any]]
    status: IncidentStatus
    acknowledged_by: list[str]
    awaiting_acknowledgement: list[str]
    assignees: dict[str, int]
    closing_note: str
    reported_at: str
    updated_at: str
    version: int
    marking: MarkingOut
    timeline: list[TimelineOut] | None = None
    channel_id: int | None = None  # the incident's own channel (in single-incident answers)

    @classmethod
    def of(cls, incident: Incident, view: IncidentView | None = None) -> IncidentOut:
        r = incident.report
        assert incident.id is not None
        return cls(
            id=incident.id, reporter=incident.reporter, category=r.category,
            category_label=view.category_label if view else None, title=r.title, description=r.description,
            location=r.location.to_dict(), occurred_from=iso(r.occurred_from),
            occurred_until=iso(r.occurred_until) if r.occurred_until else None, counts=r.counts.to_dict(),
            partners=sorted(r.partners), links=r.links.to_dict(), status=incident.status,
            acknowledged_by=sorted(incident.acknowledged_by),
            awaiting_acknowledgement=sorted(incident.awaiting_acknowledgement),
            assignees=dict(incident.assignees), closing_note=incident.closing_note,
            reported_at=iso(incident.reported_at), updated_at=iso(incident.updated_at), version=incident.version,
            marking=MarkingOut.of(r.marking),
            timeline=[TimelineOut.of(e) for e in view.timeline] if view else None,
            channel_id=view.channel_id if view else None,
        )

    @classmethod
    def of_view(cls, view: IncidentView) -> IncidentOut:
        return cls.of(view.incident, view)


class CategoryOut(BaseModel):
    code: str
    names: dict[str, str]


@router.get("/incident-categories", response_model=list[CategoryOut], summary="The incident vocabulary")
def list_categories(actor: ActorDep, centre: CentreDep) -> list[CategoryOut]:
    vocab = centre.incidents.vocabulary()
    return [CategoryOut(code=code, names=dict(names)) for code, names in vocab.labels.items()]


@router.post("/incident-categories", response_model=list[CategoryOut], status_code=201,
             summary="Extend the vocabulary (commanders)")
def add_category(body: CategoryIn, actor: ActorDep, centre: CentreDep) -> list[CategoryOut]:
    vocab = centre.incidents.add_category(actor, body.code, body.names)
    return [CategoryOut(code=code, names=dict(names)) for code, names in vocab.labels.items()]


@router.post("/incidents", response_model=IncidentOut, status_code=201, summary="Report an incident")
def report_incident(body: IncidentIn, actor: ActorDep, centre: CentreDep) -> IncidentOut:
    return IncidentOut.of_view(centre.incidents.report(actor, body.to_raw(actor)))


@router.get("/incidents", response_model=list[IncidentOut], summary="Incidents the caller may see")
def list_incidents(
    actor: ActorDep, centre: CentreDep,
    status: IncidentStatus | None = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    since: Annotated[UtcDateTime | None, Query(description="changed at or after, ISO 8601")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[IncidentOut]:
    found = centre.incidents.visible(actor, status=status.value if status else None, open_only=open_only,
                                     since=since, limit=limit)
    return [IncidentOut.of(i) for i in found]


@router.get("/incidents/{incident_id}", response_model=IncidentOut, summary="One incident with its timeline")
def get_incident(incident_id: Id, actor: ActorDep, centre: CentreDep) -> IncidentOut:
    view = centre.incidents.get(actor, incident_id)
    return IncidentOut.of_view(view)


@router.patch("/incidents/{incident_id}", response_model=IncidentOut, summary="Correct the report (reporter)")
def edit_incident(incident_id: Id, body: IncidentPatch, actor: ActorDep, centre: CentreDep) -> IncidentOut:
    changes = body.model_dump(exclude_unset=True)
    if body.marking is not None:
        changes["marking"] = body.marking.to_marking(actor.nation)
    return IncidentOut.of_view(centre.incidents.edit(actor, incident_id, changes))


@router.post("/incidents/{incident_id}/acknowledge", response_model=IncidentOut,
             summary="Acknowledge for the caller's nation (concerned partners)")
def acknowledge(incident_id: Id, actor: ActorDep, centre: CentreDep) -> IncidentOut:
    return IncidentOut.of_view(centre.incidents.acknowledge(actor, incident_id))


@router.post("/incidents/{incident_id}/investigate", response_model=IncidentOut,
             summary="Start the investigation (once every partner acknowledged)")
def investigate(incident_id: Id, actor: ActorDep, centre: CentreDep) -> IncidentOut:
    return IncidentOut.of_view(centre.incidents.start_investigation(actor, incident_id))


@router.post("/incidents/{incident_id}/close", response_model=IncidentOut, summary="Close with a note")
def close(incident_id: Id, body: NoteIn, actor: ActorDep, centre: CentreDep) -> IncidentOut:
    return IncidentOut.of_view(centre.incidents.close(actor, incident_id, body.note))


@router.post("/incidents/{incident_id}/comments", response_model=IncidentOut, status_code=201,
             summary="Add a comment to the timeline")
def comment(incident_id: Id, body: CommentIn, actor: ActorDep, centre: CentreDep) -> IncidentOut:
    return IncidentOut.of_view(centre.incidents.comment(actor, incident_id, body.text))


@router.put("/incidents/{incident_id}/assignees/{nation}", response_model=IncidentOut,
            summary="Name the caller's nation's assignee")
def assign(incident_id: Id, nation: Annotated[str, Path(pattern=r"^[A-Z]{3}$")], body: AssigneeIn, actor: ActorDep,
           centre: CentreDep) -> IncidentOut:
    return IncidentOut.of_view(centre.incidents.assign(actor, incident_id, nation, body.person_id))
