"""A centre's own map data: administrators add tile archives (MBTiles, PMTiles) and on-premises tile
servers; every person with a post at the centre draws them as base layers.

Map data carries no marking: it is the centre's background, like the built-in base map, shown to
everyone who may read anything (an account with no current appointment sees no source, as it sees
no item). Adding needs a current administrator appointment; removing is the owner's (the nation
whose administrator added it: `domain.ownership`). Each change is an event, hence audited.
The archives live in the data directory (`map_data/`); behind a load balancer that directory is
shared by the processes (docs/architecture.md)."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Connection

from concord.clock import Clock
from concord.domain import map_data as rules
from concord.domain.errors import Invalid, NotFound, TooLarge
from concord.domain.map_data import MapSource, SourceKind
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.ownership import Kind, require_owner
from concord.domain.people import Actor, Role
from concord.storage import map_archives as archives
from concord.storage import map_data as store
from concord.storage import nations as nations_store
from concord.storage.db import Database, Tx
from concord.storage.events import append_event

FOLDER = "map_data"
log = logging.getLogger(__name__)


class MapDataService:
    def __init__(self, db: Database, clock: Clock, data_dir: Path, max_bytes: int) -> None:
        self.db = db
        self.clock = clock
        self.folder = data_dir / FOLDER
        self.max_bytes = max_bytes

    def sources(self, actor: Actor) -> list[MapSource]:
        if not actor.reader.may_read:
            return []
        with self.db.read() as conn:
            return store.list_sources(conn)

    def tile_origins(self) -> list[str]:
        """Origins of the on-premises tile servers, for the web page's content security policy."""
        with self.db.read() as conn:
            return sorted({rules.tile_origin(s.url) for s in store.list_sources(conn) if s.url})

    def add_archive(self, actor: Actor, name: str, attribution: str, upload: BinaryIO) -> MapSource:
        """Store an uploaded MBTiles or PMTiles file, known by its content (never its file name), after
        checking that it opens, holds raster tiles and names sane zoom levels."""
        actor.require(Role.ADMINISTRATOR, action="adding map data")
        name, attribution = rules.check_name(name), rules.check_attribution(attribution)
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=self.folder, prefix=".upload-")
        temp = Path(temp_name)
        try:
            size, digest = self._copy(upload, os.fdopen(fd, "wb"))
            kind = archives.kind_of(temp)
            if kind is None:
                raise Invalid("the file is neither an MBTiles (SQLite) nor a PMTiles archive", field="file")
            try:
                info = archives.mbtiles_info(temp) if kind == "mbtiles" else archives.pmtiles_info(temp)
            except archives.ArchiveUnreadable as e:
                raise Invalid(f"the {kind} file cannot be read: {e}", field="file") from e
            fmt = rules.raster_format(info.declared_format, info.first_tile)
            min_zoom, max_zoom = rules.check_zoom_range(info.min_zoom, info.max_zoom)
            with self.db.write() as tx:
                source = MapSource(id=0, name=name, kind=SourceKind(kind), tile_format=fmt, min_zoom=min_zoom,
                                   max_zoom=max_zoom, bounds=rules.check_bounds(info.bounds),
                                   attribution=attribution or info.attribution[:rules.ATTRIBUTION_MAX],
                                   url=None, size=size, nation=actor.nation, added_by=actor.person_id,
                                   added_at=self.clock.now())
                file_name = f"{digest[:32]}.{kind}"
                source_id = store.add_source(tx.conn, source, file_name=file_name, sha256=digest)
                source = _with_id(source, source_id)
                # In place before the commit: a source listed is always one whose file is there.
                temp.replace(self.folder / file_name)
                self._event(tx, actor, "map_source.added", source)
            return source
        finally:
            temp.unlink(missing_ok=True)

    def add_server(self, actor: Actor, name: str, url: str, attribution: str, min_zoom: int,
                   max_zoom: int) -> MapSource:
        """An on-premises XYZ or WMTS (REST) tile server, by its URL template."""
        actor.require(Role.ADMINISTRATOR, action="adding map data")
        source = MapSource(id=0, name=rules.check_name(name), kind=SourceKind.XYZ, tile_format="png",
                           min_zoom=min_zoom, max_zoom=max_zoom, bounds=None,
                           attribution=rules.check_attribution(attribution), url=rules.check_tile_url(url),
                           size=0, nation=actor.nation, added_by=actor.person_id, added_at=self.clock.now())
        if not 0 <= min_zoom <= max_zoom <= rules.MAX_ZOOM:
            raise Invalid(f"zoom levels are 0 ≤ min_zoom ≤ max_zoom ≤ {rules.MAX_ZOOM}", field="max_zoom")
        with self.db.write() as tx:
            source = _with_id(source, store.add_source(tx.conn, source, file_name=None, sha256=None))
            self._event(tx, actor, "map_source.added", source)
        return source

    def remove(self, actor: Actor, source_id: int) -> None:
        with self.db.write() as tx:
            source, file_name = self._get(tx.conn, actor, source_id)
            require_owner(actor, source.nation, Kind.MAP_SOURCE, action="remove this map data")
            store.remove_source(tx.conn, source_id)
            self._event(tx, actor, "map_source.removed", source)
            # Another source may hold the same file (the same archive uploaded twice).
            still_used = file_name is not None and store.file_in_use(tx.conn, file_name)
        if file_name and not still_used:
            (self.folder / file_name).unlink(missing_ok=True)

    def tile(self, actor: Actor, source_id: int, z: int, x: int, y: int) -> tuple[bytes, str] | None:
        """One tile of an uploaded archive and its content type; None where the archive has no tile."""
        with self.db.read() as conn:
            source, file_name = self._get(conn, actor, source_id)
        if file_name is None:  # a tile server's tiles come from the server itself
            raise NotFound(f"map source {source_id} is a tile server: its tiles are not served here",
                           field="source_id")
        rules.check_tile(z, x, y)
        path = self.folder / file_name
        if not (source.min_zoom <= z <= source.max_zoom):
            return None
        read = archives.mbtiles_tile if source.kind is SourceKind.MBTILES else archives.pmtiles_tile
        try:
            data = read(path, z, x, y)
        except archives.ArchiveUnreadable as e:
            # A part of the archive the upload's checks did not reach is damaged: nothing to draw there.
            log.warning("map source %s: tile %s/%s/%s unreadable: %s", source_id, z, x, y, e)
            return None
        return (data, rules.RASTER_TYPES[source.tile_format]) if data else None

    def _get(self, conn: Connection, actor: Actor, source_id: int) -> tuple[MapSource, str | None]:
        found = store.get_source(conn, source_id) if actor.reader.may_read else None
        if found is None:
            raise NotFound(f"no map source {source_id}", field="source_id")
        return found

    def _copy(self, upload: BinaryIO, out: BinaryIO) -> tuple[int, str]:
        digest, size = hashlib.sha256(), 0
        with out:
            while chunk := upload.read(1024 * 1024):
                size += len(chunk)
                if size > self.max_bytes:
                    raise TooLarge(f"a map data file is at most {self.max_bytes} bytes", field="file")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise Invalid("the file is empty", field="file")
        return size, digest.hexdigest()

    def _event(self, tx: Tx, actor: Actor, kind: str, source: MapSource) -> None:
        # Every partner draws the same map data, so every partner sees it come and go.
        audience = [n.code for n in nations_store.list_nations(tx.conn)]
        append_event(tx, at=self.clock.now(), kind=kind, item_type="map_source", item_id=source.id,
                     marking=Marking.build(Level.UNCLASSIFIED, actor.nation, audience, Tlp.GREEN),
                     payload={"name": source.name, "kind": source.kind.value, "nation": source.nation},
                     actor_id=actor.person_id, actor_nation=actor.nation)


def _with_id(source: MapSource, source_id: int) -> MapSource:
    return replace(source, id=source_id)
