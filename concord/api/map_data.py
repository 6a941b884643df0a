"""A centre's own map data over HTTP: the sources (every person with a post), adding a tile archive or
an on-premises tile server and removing one (administrators), and an archive's tiles by z/x/y."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from annotated_types import Ge, Le
from fastapi import File, Form, Path, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from concord.api.deps import ActorDep, CentreDep
from concord.api.models import Id, Strict
from concord.api.read_audit import api_router
from concord.domain.map_data import ATTRIBUTION_MAX, MAX_ZOOM, NAME_MAX, URL_MAX, MapSource

router = api_router(prefix="/api", tags=["map data"])

#: The upload route, whose body may be as large as `map_data_max_bytes` (app.py widens the limit).
UPLOAD = r"^/api/map-sources/archives$"

TileNumber = Annotated[int, Ge(0), Le(2**31 - 1)]


class MapSourceOut(BaseModel):
    id: int
    name: str
    kind: Literal["mbtiles", "pmtiles", "xyz"]
    tile_format: str
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float] | None = Field(description="west, south, east, north")
    attribution: str
    tile_url: str = Field(description="Leaflet URL template of its tiles: this server's for an archive")
    size: int
    nation: str
    added_at: datetime

    @classmethod
    def of(cls, s: MapSource) -> MapSourceOut:
        tile_url = s.url or f"/api/map-sources/{s.id}/tiles/{{z}}/{{x}}/{{y}}"
        return cls(id=s.id, name=s.name, kind=s.kind.value, tile_format=s.tile_format, min_zoom=s.min_zoom,
                   max_zoom=s.max_zoom, bounds=s.bounds, attribution=s.attribution, tile_url=tile_url, size=s.size,
                   nation=s.nation, added_at=s.added_at)


class TileServerIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=NAME_MAX)]
    url: Annotated[str, Field(min_length=1, max_length=URL_MAX,
                              description="XYZ template (https://tiles.example/{z}/{x}/{y}.png) or WMTS REST "
                                          "template with {TileMatrix}/{TileCol}/{TileRow}")]
    attribution: Annotated[str, Field(max_length=ATTRIBUTION_MAX)] = ""
    min_zoom: Annotated[int, Ge(0), Le(MAX_ZOOM)] = 0
    max_zoom: Annotated[int, Ge(0), Le(MAX_ZOOM)] = 18


@router.get("/map-sources", response_model=list[MapSourceOut], summary="The centre's own map data (base layers)")
def list_sources(actor: ActorDep, centre: CentreDep) -> list[MapSourceOut]:
    return [MapSourceOut.of(s) for s in centre.map_data.sources(actor)]


@router.post("/map-sources/archives", response_model=MapSourceOut, status_code=201,
             summary="Upload an MBTiles or PMTiles archive of raster tiles (administrators)")
def add_archive(actor: ActorDep, centre: CentreDep, file: Annotated[UploadFile, File()],
                name: Annotated[str, Form(min_length=1, max_length=NAME_MAX)],
                attribution: Annotated[str, Form(max_length=ATTRIBUTION_MAX)] = "") -> MapSourceOut:
    return MapSourceOut.of(centre.map_data.add_archive(actor, name, attribution, file.file))


@router.post("/map-sources/servers", response_model=MapSourceOut, status_code=201,
             summary="Add an on-premises XYZ or WMTS tile server (administrators)")
def add_server(body: TileServerIn, actor: ActorDep, centre: CentreDep) -> MapSourceOut:
    return MapSourceOut.of(centre.map_data.add_server(actor, body.name, body.url, body.attribution, body.min_zoom,
                                                      body.max_zoom))


@router.delete("/map-sources/{source_id}", status_code=204,
               summary="Remove map data (administrators of the nation that added it)")
def remove_source(source_id: Id, actor: ActorDep, centre: CentreDep) -> None:
    centre.map_data.remove(actor, source_id)


@router.get("/map-sources/{source_id}/tiles/{z}/{x}/{y}", response_class=Response,
            responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}}, 204: {}},
            summary="One tile of an uploaded archive (XYZ numbering); 204 where the archive has none")
def tile(source_id: Id, z: Annotated[TileNumber, Path()], x: Annotated[TileNumber, Path()],
         y: Annotated[TileNumber, Path()], actor: ActorDep, centre: CentreDep) -> Response:
    found = centre.map_data.tile(actor, source_id, z, x, y)
    if found is None:
        # An empty answer, not an error: beyond an archive's area and zooms there is simply nothing to draw.
        return Response(status_code=204, headers={"Cache-Control": "private, max-age=3600"})
    data, content_type = found
    # A source's archive never changes (a new upload is a new source): the browser may keep its tiles.
    return Response(data, media_type=content_type, headers={"Cache-Control": "private, max-age=86400"})
