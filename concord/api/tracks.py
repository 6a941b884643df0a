"""Field tracks and map points from TAK clients, as the signed-in person may see them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel

from concord.api.deps import ActorDep, CentreDep
from concord.api.models import MarkingOut
from concord.api.read_audit import MarkedOut, api_router
from concord.clock import iso
from concord.services.audit import ReadItem

router = api_router(prefix="/api", tags=["tracks"])


class TrackOut(MarkedOut):
    audit_type = "track"
    audit_id = "uid"

    uid: str
    callsign: str
    cot_type: str
    sidc: str | None
    lat: float
    lon: float
    hae: float | None
    speed: float | None
    course: float | None
    time: str
    stale: str
    group: str | None
    marking: MarkingOut

    @classmethod
    def of(cls, row: dict[str, Any]) -> TrackOut:
        return cls(**{**row, "time": iso(row["time"]), "stale": iso(row["stale"]),
                      "marking": MarkingOut.of(row["marking"])})


class MapPointOut(MarkedOut):
    audit_type = "map_point"
    audit_id = "uid"

    uid: str
    kind: str
    cot_type: str
    sidc: str | None
    title: str
    lat: float
    lon: float
    hae: float | None
    remarks: str
    creator_uid: str | None
    time: str
    stale: str
    marking: MarkingOut

    @classmethod
    def of(cls, row: dict[str, Any]) -> MapPointOut:
        return cls(**{**row, "time": iso(row["time"]), "stale": iso(row["stale"]),
                      "marking": MarkingOut.of(row["marking"])})


class PositionOut(BaseModel):
    lat: float
    lon: float
    hae: float | None
    speed: float | None
    course: float | None
    time: str


@router.get("/tracks", response_model=list[TrackOut], summary="Live (not stale) field tracks")
def list_tracks(actor: ActorDep, centre: CentreDep) -> list[TrackOut]:
    rows = centre.tracks.tracks(actor.reader)
    return [TrackOut.of(row) for row in rows]


@router.get("/tracks/{uid}/history", response_model=list[PositionOut],
            summary="A track's positions within the history period (404 if the track may not be seen)")
def track_history(actor: ActorDep, centre: CentreDep,
                  uid: Annotated[str, Path(min_length=1, max_length=256)]) -> list[PositionOut]:
    positions = centre.tracks.history(actor.reader, uid)
    centre.audit.record_reads(actor, [ReadItem("track_position", uid, p.marking, None) for p in positions])
    return [PositionOut(lat=p.lat, lon=p.lon, hae=p.hae, speed=p.speed, course=p.course, time=iso(p.time))
            for p in positions]


@router.get("/map-points", response_model=list[MapPointOut], summary="Live markers and spot reports")
def list_map_points(actor: ActorDep, centre: CentreDep) -> list[MapPointOut]:
    rows = centre.tracks.map_points(actor.reader)
    return [MapPointOut.of(row) for row in rows]
