"""Small tile archives for the map data tests: MBTiles written with sqlite3, PMTiles with the
`pmtiles` package's writer, each tile a real PNG that says which tile it is (its width is x + 1,
its height y + 1)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import write

from tests.factories import tiny_png


def tiles(max_zoom: int = 2) -> dict[tuple[int, int, int], bytes]:
    return {(z, x, y): tiny_png(x + 1, y + 1)
            for z in range(max_zoom + 1) for x in range(1 << z) for y in range(1 << z)}


def mbtiles(path: Path, *, fmt: str | None = "png", contents: dict[tuple[int, int, int], bytes] | None = None,
            bounds: str = "40.0,35.0,48.0,39.0") -> Path:
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        meta = {"name": "sample", "bounds": bounds, "attribution": "Fictional survey"}
        if fmt is not None:
            meta["format"] = fmt
        db.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
        # MBTiles rows count from the south (TMS).
        found = tiles() if contents is None else contents
        rows = [(z, x, (1 << z) - 1 - y, data) for (z, x, y), data in found.items()]
        db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
        db.commit()
    return path


def pmtiles(path: Path, *, tile_type: TileType = TileType.PNG,
            contents: dict[tuple[int, int, int], bytes] | None = None) -> Path:
    found = tiles() if contents is None else contents
    with write(str(path)) as writer:
        for (z, x, y), data in sorted(found.items(), key=lambda item: zxy_to_tileid(*item[0])):
            writer.write_tile(zxy_to_tileid(z, x, y), data)
        writer.finalize({"tile_type": tile_type, "tile_compression": Compression.NONE,
                         "min_lon_e7": 400_000_000, "min_lat_e7": 350_000_000, "max_lon_e7": 480_000_000,
                         "max_lat_e7": 390_000_000, "center_zoom": 1, "center_lon_e7": 440_000_000,
                         "center_lat_e7": 370_000_000}, {"attribution": "Fictional relief"})
    return path
