"""Protected sites and humanitarian movements, and national activities, over HTTP."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import Field

from concord.api.deps import ActorDep, CentreDep
from concord.api.models import Id, MarkingIn, MarkingOut, Strict
from concord.api.operations import AltitudeIn, GeoJson, Text, WindowIn
from concord.api.read_audit import MarkedOut, api_router
from concord.clock import iso
from concord.domain.activities import ActivitySpec, ActivityStatus, default_activity_marking
from concord.domain.geo import to_geojson
from concord.domain.operations import AltitudeBand, area_from_geojson
from concord.domain.sites import DEFAULT_BUFFER_M, SiteKind, SiteSpec, SiteStatus, site_geometry, site_marking
from concord.services.activities import ActivityService
from concord.storage.activities import ActivityRow
from concord.storage.sites import SiteRow

router = api_router(prefix="/api", tags=["sites"])
ItemId = Id


class SiteIn(Strict):
    kind: SiteKind
    name: Annotated[str, Field(max_length=200)]
    geometry: GeoJson
    buffer_m: Annotated[float, Field(ge=0, le=50_000)] | None = Field(None, description="default by kind")
    window: WindowIn | None = Field(None, description="required for a humanitarian movement")
    notes: Text = ""
    marking: MarkingIn | None = Field(None, description="default: UNCLASSIFIED, TLP:CLEAR, every nation")


class SiteOut(MarkedOut):
    audit_type = "site"

    id: int
    kind: SiteKind
    name: str
    geometry: dict[str, Any]
    buffer_m: float
    starts_at: str | None
    ends_at: str | None
    notes: str
    status: SiteStatus
    marking: MarkingOut
    added_at: str
    acknowledged_by: int | None

    @classmethod
    def of(cls, row: SiteRow) -> SiteOut:
        s = row.spec
        return cls(id=row.id, kind=s.kind, name=s.name, geometry=to_geojson(s.geometry), buffer_m=s.buffer_m,
                   starts_at=iso(s.window.starts_at) if s.window else None,
                   ends_at=iso(s.window.ends_at) if s.window else None, notes=s.notes, status=row.status,
                   marking=MarkingOut.of(s.marking), added_at=iso(row.added_at), acknowledged_by=row.acknowledged_by)


class ReasonIn(Strict):
    reason: Text


@router.post("/sites", status_code=201, response_model=SiteOut, summary="Add a protected site or movement")
def add_site(body: SiteIn, actor: ActorDep, centre: CentreDep) -> SiteOut:
    marking = (body.marking.to_marking(actor.nation) if body.marking is not None
               else site_marking(actor.nation, centre.nations.codes()))
    spec = SiteSpec(body.kind, body.name, site_geometry(body.kind, body.geometry, "geometry"),
                    body.buffer_m if body.buffer_m is not None else DEFAULT_BUFFER_M[body.kind], marking,
                    body.window.to_window() if body.window else None, body.notes)
    return SiteOut.of(centre.sites.add(actor, spec))


@router.get("/sites", response_model=list[SiteOut], summary="Protected sites the caller may see")
def list_sites(actor: ActorDep, centre: CentreDep, kind: SiteKind | None = None, include_retired: bool = False,
               limit: Annotated[int, Query(ge=1, le=5000)] = 500,
               offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> list[SiteOut]:
    return [SiteOut.of(r) for r in centre.sites.list_visible(actor, kind, include_retired=include_retired,
                                                             limit=limit, offset=offset)]


@router.get("/sites/{site_id}", response_model=SiteOut, summary="One protected site")
def get_site(site_id: ItemId, actor: ActorDep, centre: CentreDep) -> SiteOut:
    return SiteOut.of(centre.sites.get(actor, site_id))


@router.post("/sites/{site_id}/acknowledge", response_model=SiteOut,
             summary="Acknowledge a notification (not an approval)")
def acknowledge_site(site_id: ItemId, actor: ActorDep, centre: CentreDep) -> SiteOut:
    return SiteOut.of(centre.sites.acknowledge(actor, site_id))


@router.post("/sites/{site_id}/retire", response_model=SiteOut, summary="Retire a site, with a reason")
def retire_site(site_id: ItemId, body: ReasonIn, actor: ActorDep, centre: CentreDep) -> SiteOut:
    return SiteOut.of(centre.sites.retire(actor, site_id, body.reason))


# ----------------------------------------------------------------------- national activities


class ActivityIn(Strict):
    name: Annotated[str, Field(max_length=200)]
    description: Text = ""
    area: GeoJson
    window: WindowIn
    altitude: AltitudeIn | None = None
    marking: MarkingIn | None = Field(None, description="default: RESTRICTED, own nation only")


class ActivityOut(MarkedOut):
    audit_type = "activity"

    id: int
    nation: str
    name: str
    description: str
    area: dict[str, Any]
    starts_at: str
    ends_at: str
    altitude: dict[str, float] | None
    status: ActivityStatus
    marking: MarkingOut

    @classmethod
    def of(cls, row: ActivityRow) -> ActivityOut:
        s = row.spec
        return cls(id=row.id, nation=s.nation, name=s.name, description=s.description, area=to_geojson(s.area),
                   starts_at=iso(s.window.starts_at), ends_at=iso(s.window.ends_at),
                   altitude={"low_m": s.altitude.low_m, "high_m": s.altitude.high_m} if s.altitude else None,
                   status=row.status, marking=MarkingOut.of(s.marking))


def _activity(body: ActivityIn, actor: Any) -> ActivitySpec:
    marking = (body.marking.to_marking(actor.nation) if body.marking is not None
               else default_activity_marking(actor.nation))
    return ActivitySpec(actor.nation, body.name, body.description, marking, area_from_geojson(body.area, "area"),
                        body.window.to_window(),
                        AltitudeBand(body.altitude.low_m, body.altitude.high_m) if body.altitude else None)


@router.post("/activities", status_code=201, response_model=ActivityOut,
             summary="Notify a unilateral national activity (for deconfliction only)")
def notify_activity(body: ActivityIn, actor: ActorDep, centre: CentreDep) -> ActivityOut:
    service: ActivityService = centre.activities
    return ActivityOut.of(service.notify(actor, _activity(body, actor)))


@router.get("/activities", response_model=list[ActivityOut], summary="National activities the caller may see")
def list_activities(actor: ActorDep, centre: CentreDep) -> list[ActivityOut]:
    return [ActivityOut.of(r) for r in centre.activities.list_visible(actor)]


@router.get("/activities/{activity_id}", response_model=ActivityOut, summary="One national activity")
def get_activity(activity_id: ItemId, actor: ActorDep, centre: CentreDep) -> ActivityOut:
    return ActivityOut.of(centre.activities.get(actor, activity_id))


@router.put("/activities/{activity_id}", response_model=ActivityOut, summary="Change a notified activity")
def update_activity(activity_id: ItemId, body: ActivityIn, actor: ActorDep, centre: CentreDep) -> ActivityOut:
    return ActivityOut.of(centre.activities.update(actor, activity_id, _activity(body, actor)))


@router.post("/activities/{activity_id}/withdraw", response_model=ActivityOut, summary="Withdraw an activity")
def withdraw_activity(activity_id: ItemId, actor: ActorDep, centre: CentreDep) -> ActivityOut:
    return ActivityOut.of(centre.activities.withdraw(actor, activity_id))
