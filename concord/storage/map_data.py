"""The centre's own map sources: uploaded tile archives (their files live in the data directory) and
on-premises tile servers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Connection, Integer, SmallInteger, String, Table, delete, select

from concord.domain.map_data import MapSource, SourceKind
from concord.storage.schema import TS, BigId, metadata

map_sources = Table(
    "map_sources", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(80), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("tile_format", String(8), nullable=False),
    Column("min_zoom", SmallInteger, nullable=False),
    Column("max_zoom", SmallInteger, nullable=False),
    Column("bounds", JSON, nullable=True),
    Column("attribution", String(200), nullable=False),
    Column("url", String(500), nullable=True),
    Column("file_name", String(100), nullable=True),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=True),
    Column("nation", String(3), nullable=False),
    Column("added_by", Integer, nullable=False),
    Column("added_at", TS, nullable=False),
)


def _source(row: Any) -> MapSource:
    bounds = tuple(float(v) for v in row.bounds) if row.bounds else None
    return MapSource(id=row.id, name=row.name, kind=SourceKind(row.kind), tile_format=row.tile_format,
                     min_zoom=row.min_zoom, max_zoom=row.max_zoom, bounds=bounds,  # type: ignore[arg-type]
                     attribution=row.attribution, url=row.url, size=row.size, nation=row.nation,
                     added_by=row.added_by, added_at=row.added_at)


def add_source(conn: Connection, source: MapSource, *, file_name: str | None, sha256: str | None) -> int:
    values = {"name": source.name, "kind": source.kind.value, "tile_format": source.tile_format,
              "min_zoom": source.min_zoom, "max_zoom": source.max_zoom,
              "bounds": list(source.bounds) if source.bounds else None, "attribution": source.attribution,
              "url": source.url, "file_name": file_name, "size": source.size, "sha256": sha256,
              "nation": source.nation, "added_by": source.added_by, "added_at": source.added_at}
    return int(conn.execute(map_sources.insert().values(**values).returning(map_sources.c.id)).scalar_one())


def list_sources(conn: Connection) -> list[MapSource]:
    return [_source(r) for r in conn.execute(select(map_sources).order_by(map_sources.c.id))]


def get_source(conn: Connection, source_id: int) -> tuple[MapSource, str | None] | None:
    """A source and the name of its archive file in the map data folder (None for a tile server)."""
    row = conn.execute(select(map_sources).where(map_sources.c.id == source_id)).first()
    return (_source(row), row.file_name) if row else None


def remove_source(conn: Connection, source_id: int) -> None:
    conn.execute(delete(map_sources).where(map_sources.c.id == source_id))


def file_in_use(conn: Connection, file_name: str) -> bool:
    return conn.execute(select(map_sources.c.id).where(map_sources.c.file_name == file_name).limit(1)).first() \
        is not None
