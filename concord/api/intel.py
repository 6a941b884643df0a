"""Intelligence for the web UI: publish, list and search, one object in full, revoke, change release."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from concord.api.deps import ActorDep, CentreDep
from concord.api.models import Id, MarkingIn, MarkingOut, NationCode, Strict, UtcDateTime
from concord.api.read_audit import MarkedOut, api_router
from concord.clock import iso
from concord.domain.intel_query import date_added_key, render_timestamp
from concord.domain.markings import Level, Marking
from concord.domain.stix import bundle_chunks
from concord.services.intel_read import ListFilter
from concord.storage.intel_read import ObjectSummary, VersionRow

router = api_router(prefix="/api/intel", tags=["intelligence"])


class ObjectOut(MarkedOut):
    audit_type = "intel"

    id: int
    stix_id: str
    type: str
    title: str
    revoked: bool
    version: str
    first_added: str
    marking: MarkingOut

    @classmethod
    def of(cls, s: ObjectSummary) -> ObjectOut:
        return cls(
            id=s.id,
            stix_id=s.stix_id,
            type=s.stix_type,
            title=s.title,
            revoked=s.revoked,
            version=render_timestamp(s.latest_version),
            first_added=render_timestamp(s.first_added),
            marking=MarkingOut.of(s.marking),
        )


class VersionOut(BaseModel):
    version: str
    date_added: str
    stix: dict[str, Any]

    @classmethod
    def of(cls, row: VersionRow) -> VersionOut:
        return cls(
            version=render_timestamp(row.version),
            date_added=render_timestamp(row.date_added),
            stix=json.loads(row.raw or "{}"),
        )


class CorrelationOut(BaseModel):
    id: int
    kind: str
    value: str
    at: str
    other: ObjectOut


class AuthorOut(BaseModel):
    person_id: int
    display_name: str


class PlaceOut(BaseModel):
    object: ObjectOut
    latitude: float
    longitude: float


class DetailOut(MarkedOut):
    """One object in full: its read is audited with all of this as its content (the summaries of
    the linked objects the page shows are audited as reads of those objects)."""

    audit_type = "intel"

    object: ObjectOut
    author: AuthorOut | None = Field(None, description="who published it (the directory's name)")
    stix: dict[str, Any]
    versions: list[VersionOut]
    relationships: list[ObjectOut]
    correlations: list[CorrelationOut]
    locations: list[PlaceOut] = Field(default_factory=list,
                                      description="places it refers to or is linked with, that the caller may see")

    def audited_as(self) -> tuple[str | int, MarkingOut]:
        return self.object.id, self.object.marking


class IndexingOut(BaseModel):
    behind: int = Field(description="objects the caller may see that search cannot find yet")
    message: str = Field(description='"indexing, N objects behind" (or "up to date")')


class ListOut(BaseModel):
    items: list[ObjectOut]
    next: str | None = Field(None, description="pass as `before` for the next page")
    indexing: IndexingOut | None = Field(None, description="with `q`: how far the full-text index is behind what "
                                         "the caller may see (filters other than `q` never depend on it)")


class PublishIn(Strict):
    objects: Annotated[
        list[dict[str, Any]],
        Field(min_length=1, max_length=5000, description="STIX 2.1 objects, e.g. a report and what it refers to"),
    ]
    marking: MarkingIn


class PublishOut(BaseModel):
    items: list[ObjectOut]


class CrossCorrelationOut(BaseModel):
    id: int
    kind: str
    value: str
    at: str
    objects: list[ObjectOut]


@router.post("/objects", response_model=PublishOut, status_code=201, summary="Publish STIX objects with a marking")
def publish(body: PublishIn, actor: ActorDep, centre: CentreDep) -> PublishOut:
    result = centre.intel.publish(actor, body.objects, body.marking.to_marking(actor.nation))
    items = [centre.intel_read.detail(actor, object_id).summary for object_id in result.object_ids]
    return PublishOut(items=[ObjectOut.of(s) for s in items])


def _key(moment: datetime | None) -> str | None:
    return date_added_key(moment) if moment is not None else None


@router.get("/objects", response_model=ListOut, summary="List and search what the caller may see")
def list_objects(
    actor: ActorDep,
    centre: CentreDep,
    type: Annotated[list[str], Query(max_length=20, description="STIX types")] = [],  # noqa: B006 (FastAPI copies defaults)
    originator: NationCode | None = None,
    modified_after: UtcDateTime | None = None,
    modified_before: UtcDateTime | None = None,
    tlp: Annotated[str | None, Query(pattern="^(CLEAR|GREEN|AMBER|AMBER\\+STRICT|RED)$")] = None,
    level: Annotated[
        str | None,
        Query(pattern="^(UNCLASSIFIED|RESTRICTED|CONFIDENTIAL|SECRET)$", description="at most this classification"),
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="full-text search")] = None,
    include_revoked: bool = False,
    before: Annotated[Id | None, Query(description="the `next` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ListOut:
    found = centre.intel_read.list_objects(
        actor,
        ListFilter(
            types=type,
            originator=originator,
            modified_after=_key(modified_after),
            modified_before=_key(modified_before),
            tlp=tlp,
            max_level=int(Level[level]) if level else None,
            text=q,
            include_revoked=include_revoked,
            before_id=before,
            limit=limit,
        ),
    )
    items = [ObjectOut.of(s) for s in found]
    indexing = None
    if q is not None:
        behind = centre.intel_index.objects_behind(actor.reader)
        indexing = IndexingOut(behind=behind, message=f"indexing, {behind} objects behind" if behind else "up to date")
    return ListOut(items=items, next=str(found[-1].id) if len(found) == limit else None, indexing=indexing)


@router.get("/objects/{object_id}", response_model=DetailOut, summary="One object with its versions and links")
def get_object(object_id: Id, actor: ActorDep, centre: CentreDep) -> DetailOut:
    detail = centre.intel_read.detail(actor, object_id)
    return DetailOut(
        object=ObjectOut.of(detail.summary),
        author=AuthorOut(person_id=detail.author[0], display_name=detail.author[1]) if detail.author else None,
        stix=json.loads(detail.versions[-1].raw or "{}") if detail.versions else {},
        versions=[VersionOut.of(v) for v in detail.versions],
        relationships=[ObjectOut.of(r) for r in detail.relationships],
        correlations=[
            CorrelationOut(
                id=c["id"], kind=c["kind"], value=c["value"], at=iso(c["at"]), other=ObjectOut.of(c["other"])
            )
            for c in detail.correlations
        ],
        locations=[PlaceOut(object=ObjectOut.of(s), latitude=lat, longitude=lon) for s, lat, lon in detail.locations],
    )


@router.post("/objects/{object_id}/revoke", status_code=204, summary="Revoke an object (originator only)")
def revoke(object_id: Id, actor: ActorDep, centre: CentreDep) -> Response:
    centre.intel.revoke(actor, object_id)
    return Response(status_code=204)


@router.put(
    "/objects/{object_id}/release",
    status_code=204,
    summary="Widen or narrow release (originator only; narrowing takes effect at once)",
)
def set_release(object_id: Id, body: MarkingIn, actor: ActorDep, centre: CentreDep) -> Response:
    centre.intel.set_release(actor, object_id, body.to_marking(actor.nation))
    return Response(status_code=204)


@router.get("/correlations", response_model=list[CrossCorrelationOut], summary="Correlations the caller may see")
def correlations(
    actor: ActorDep, centre: CentreDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[CrossCorrelationOut]:
    return [
        CrossCorrelationOut(
            id=c["id"],
            kind=c["kind"],
            value=c["value"],
            at=iso(c["at"]),
            objects=[ObjectOut.of(o) for o in c["objects"]],
        )
        for c in centre.intel_read.correlations(actor, limit)
    ]


@router.get("/export", summary="A STIX 2.1 bundle of everything the caller may see", response_class=StreamingResponse)
def export(actor: ActorDep, centre: CentreDep, all_versions: bool = False) -> StreamingResponse:
    def audit(batch: list[tuple[int, Marking, Mapping[str, Any]]]) -> None:
        centre.audit.record_returned(actor, "intel", batch)

    return StreamingResponse(
        bundle_chunks(centre.intel_read.export(actor, all_versions=all_versions, on_batch=audit)),
        media_type="application/stix+json;version=2.1",
    )
