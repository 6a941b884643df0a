"""A small fictional map of the centre's own for `concord demo`: an MBTiles file of raster tiles drawn
here (a plain survey sheet: a 1/8-tile grid, and the fictional training area shaded), uploaded by
TUR's demo administrator through the same service an administrator's upload goes through, so the map
offers it as a base layer beside the built-in one. Nothing is downloaded; the tiles are made at start."""

from __future__ import annotations

import math
import sqlite3
import struct
import tempfile
import zlib
from contextlib import closing
from pathlib import Path

from concord.centre import Centre

NAME = "Demo survey sheet (fictional)"
#: The sheet's area (west, south, east, north) around the demo's border ground, and its zoom levels.
BOUNDS = (41.5, 36.3, 44.5, 37.7)
#: The fictional training area shaded on the sheet.
TRAINING_AREA = (42.55, 36.95, 43.05, 37.25)
ZOOMS = range(6, 11)
SIZE = 256
PAPER, GRID, AREA = (226, 218, 196), (176, 164, 138), (204, 178, 150)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile holding a point (web mercator)."""
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def corner(x: float, y: float, z: int) -> tuple[float, float]:
    """Longitude and latitude of a tile's north-west corner (fractions give points inside it)."""
    n = 1 << z
    return x / n * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))


def _png(rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 2, 0, 0, 0)  # 8-bit RGB
    raw = b"".join(b"\x00" + row for row in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def draw_tile(x: int, y: int, z: int) -> bytes:
    """Paper with a grid every 32 px; inside the training area, a warmer tone. A tile has only three
    kinds of row (grid line, plain, crossing the area), so each is made once."""
    w, s, e, n = TRAINING_AREA
    inside = [w <= corner(x + px / SIZE, y, z)[0] <= e for px in range(SIZE)]
    grid_row = bytes(GRID) * SIZE
    plain_row = b"".join(bytes(GRID if px % 32 == 0 else PAPER) for px in range(SIZE))
    area_row = b"".join(bytes(GRID if px % 32 == 0 else AREA if inside[px] else PAPER) for px in range(SIZE))
    rows = []
    for py in range(SIZE):
        if py % 32 == 0:
            rows.append(grid_row)
        else:
            lat = corner(x, y + py / SIZE, z)[1]
            rows.append(area_row if s <= lat <= n else plain_row)
    return _png(rows)


def write_sample(path: Path) -> Path:
    west, south, east, north = BOUNDS
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        db.executemany("INSERT INTO metadata VALUES (?, ?)", [
            ("name", NAME), ("format", "png"), ("bounds", f"{west},{south},{east},{north}"),
            ("attribution", "Concord demo (fictional)")])
        for z in ZOOMS:
            x0, y0 = tile_of(west, north, z)
            x1, y1 = tile_of(east, south, z)
            db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                           [(z, x, (1 << z) - 1 - y, draw_tile(x, y, z))
                            for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)])
        db.commit()
    return path


def map_sample_scenario(centre: Centre, people: dict[str, int]) -> None:
    admin = centre.people.actor(people["tur.admin"])
    with tempfile.TemporaryDirectory() as folder:
        sample = write_sample(Path(folder) / "sample.mbtiles")
        with sample.open("rb") as f:
            centre.map_data.add_archive(admin, NAME, "", f)
