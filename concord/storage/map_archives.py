"""Reading uploaded tile archives: MBTiles (SQLite, MBTiles 1.3) and PMTiles (v3, through the
`pmtiles` package). Each archive is opened read-only per request; nothing here trusts the file: a
file that is not what it claims raises `ArchiveUnreadable`, which the service turns into a 4xx."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pmtiles.reader import MmapSource, Reader
from pmtiles.tile import Compression, TileType

SQLITE_MAGIC = b"SQLite format 3\x00"
PMTILES_MAGIC = b"PMTiles"


class ArchiveUnreadable(Exception):
    """The file is not a readable archive of the kind it was taken for."""


@dataclass(frozen=True, slots=True)
class ArchiveInfo:
    declared_format: str | None  # from the archive's metadata or header
    first_tile: bytes | None  # to tell the format by when none is declared
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float] | None
    attribution: str


def kind_of(path: Path) -> str | None:
    """"mbtiles" or "pmtiles" by the file's first bytes (never by its name), else None."""
    with path.open("rb") as f:
        head = f.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "mbtiles"
    if head.startswith(PMTILES_MAGIC):
        return "pmtiles"
    return None


def _open_mbtiles(path: Path) -> sqlite3.Connection:
    # Read-only and immutable: the file is never changed after upload, and no journal is written
    # beside it.
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)


def mbtiles_info(path: Path) -> ArchiveInfo:
    try:
        with closing(_open_mbtiles(path)) as db:
            meta = dict(db.execute("SELECT name, value FROM metadata").fetchall())
            zooms = db.execute("SELECT MIN(zoom_level), MAX(zoom_level), "
                               "SUM(typeof(zoom_level) != 'integer') FROM tiles").fetchone()
            first = db.execute("SELECT tile_data FROM tiles WHERE typeof(tile_data) = 'blob' LIMIT 1").fetchone()
    except (sqlite3.Error, ValueError) as e:  # ValueError: metadata rows that are not pairs
        raise ArchiveUnreadable(f"not an MBTiles file ({e})") from e
    if zooms[0] is None:
        raise ArchiveUnreadable("the MBTiles file holds no tiles")
    if zooms[2] or first is None:
        raise ArchiveUnreadable("the MBTiles file's zoom levels are not whole numbers or its tiles are not data")
    bounds = _bounds(str(meta.get("bounds", "")).split(","))
    return ArchiveInfo(declared_format=_text(meta.get("format")), first_tile=bytes(first[0]),
                       min_zoom=int(zooms[0]), max_zoom=int(zooms[1]), bounds=bounds,
                       attribution=_text(meta.get("attribution")) or "")


def mbtiles_tile(path: Path, z: int, x: int, y: int) -> bytes | None:
    # MBTiles rows count from the south (TMS): row = 2^z − 1 − y.
    with closing(_open_mbtiles(path)) as db:
        row = db.execute("SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                         (z, x, (1 << z) - 1 - y)).fetchone()
    # A row whose data is not a blob (NULL, a number) has nothing to draw.
    return bytes(row[0]) if row and isinstance(row[0], bytes) else None


_PMTILES_FORMATS = {TileType.PNG: "png", TileType.JPEG: "jpg", TileType.WEBP: "webp", TileType.MVT: "pbf"}


def pmtiles_info(path: Path) -> ArchiveInfo:
    try:
        with path.open("rb") as f:
            reader = _pmtiles_reader(f)
            header: dict[str, Any] = reader.header()
            if header.get("tile_compression") not in (Compression.NONE, Compression.UNKNOWN) and \
                    header.get("tile_type") != TileType.MVT:
                raise ArchiveUnreadable("the PMTiles file's raster tiles are compressed")
            bounds = _bounds([header["min_lon_e7"] / 1e7, header["min_lat_e7"] / 1e7,
                              header["max_lon_e7"] / 1e7, header["max_lat_e7"] / 1e7])
            meta = reader.metadata()
            attribution = _text(meta.get("attribution")) if isinstance(meta, dict) else None
            return ArchiveInfo(declared_format=_PMTILES_FORMATS.get(header["tile_type"], "unknown"),
                               first_tile=None, min_zoom=int(header["min_zoom"]), max_zoom=int(header["max_zoom"]),
                               bounds=bounds, attribution=attribution or "")
    except ArchiveUnreadable:
        raise
    except Exception as e:  # the reader raises bare Exceptions and struct/index errors on a bad file
        raise ArchiveUnreadable(f"not a PMTiles v3 file ({type(e).__name__})") from e


def pmtiles_tile(path: Path, z: int, x: int, y: int) -> bytes | None:
    try:
        with path.open("rb") as f:
            data = _pmtiles_reader(f).get(z, x, y)
    except Exception as e:  # a directory past the header that does not decode: the same as a bad file
        raise ArchiveUnreadable(f"a PMTiles directory cannot be read ({type(e).__name__})") from e
    return bytes(data) if data else None


def _pmtiles_reader(f: BinaryIO) -> Any:
    # `pmtiles` has no type hints: its reader is reached through this one untyped seam.
    return Reader(MmapSource(f))  # type: ignore[no-untyped-call]


def _text(value: object) -> str | None:
    return str(value).strip() if value is not None else None


def _bounds(parts: list[Any]) -> tuple[float, float, float, float] | None:
    try:
        west, south, east, north = (float(p) for p in parts)
    except (TypeError, ValueError):
        return None
    return west, south, east, north
