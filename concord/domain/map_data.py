"""A centre's own map data, as TAK users bring it: tile archives (MBTiles, PMTiles) an administrator
uploads, and on-premises tile servers (XYZ or WMTS URL templates). Pure rules: which formats are
drawn, what a tile address may be, what a tile server URL must look like."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from concord.domain.errors import Invalid


class SourceKind(StrEnum):
    MBTILES = "mbtiles"  # SQLite, tiles in TMS row order (MBTiles 1.3)
    PMTILES = "pmtiles"  # one file, a clustered directory (PMTiles v3)
    XYZ = "xyz"  # an on-premises tile server: {z}/{x}/{y} (or WMTS REST) URL template


#: Raster tile formats the map draws, and the content type each is served with.
RASTER_TYPES: dict[str, str] = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
#: Deepest zoom level a tile address may name (web mercator tiles past it are under a centimetre).
MAX_ZOOM = 24
NAME_MAX = 80
ATTRIBUTION_MAX = 200
URL_MAX = 500


@dataclass(frozen=True, slots=True)
class MapSource:
    id: int
    name: str
    kind: SourceKind
    tile_format: str  # one of RASTER_TYPES
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float] | None  # west, south, east, north (degrees)
    attribution: str
    url: str | None  # XYZ: the Leaflet template; archives: None (served by this server)
    size: int  # bytes of the archive (0 for a URL)
    nation: str  # the nation whose administrator added it (its owner)
    added_by: int
    added_at: datetime


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX or any(ord(c) < 32 for c in name):
        raise Invalid(f"a map source's name is 1 to {NAME_MAX} printable characters", field="name")
    return name


def check_attribution(text: str) -> str:
    text = (text or "").strip()
    if len(text) > ATTRIBUTION_MAX or any(ord(c) < 32 for c in text):
        raise Invalid(f"an attribution is at most {ATTRIBUTION_MAX} printable characters", field="attribution")
    return text


def raster_format(declared: str | None, first_tile: bytes | None, *, field: str = "file") -> str:
    """The tile format of an archive: what its metadata declares, else what its first tile's bytes
    are. Vector tiles (MVT/pbf) are refused: the map draws raster tiles only."""
    fmt = (declared or "").strip().lower()
    fmt = {"jpeg": "jpg"}.get(fmt, fmt)
    if not fmt and first_tile is not None:
        fmt = sniff(first_tile) or ""
    if fmt in ("pbf", "mvt"):
        raise Invalid("vector tiles (pbf/MVT) are not drawn by this map: upload raster tiles (PNG, JPEG or WebP)",
                      field=field)
    if fmt not in RASTER_TYPES:
        raise Invalid("the archive's tiles are not PNG, JPEG or WebP images", field=field)
    return fmt


def sniff(data: bytes) -> str | None:
    """The raster format of a tile's bytes, by their signature."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def check_zoom_range(min_zoom: int, max_zoom: int, *, field: str = "file") -> tuple[int, int]:
    if not (0 <= min_zoom <= max_zoom <= MAX_ZOOM):
        raise Invalid(f"the archive's zoom levels ({min_zoom}–{max_zoom}) are not within 0–{MAX_ZOOM}", field=field)
    return min_zoom, max_zoom


def check_bounds(bounds: tuple[float, float, float, float] | None) -> tuple[float, float, float, float] | None:
    """Bounds as west, south, east, north; nonsense bounds are dropped (the layer is then unbounded)."""
    if bounds is None:
        return None
    west, south, east, north = bounds
    if -180 <= west < east <= 180 and -90 <= south < north <= 90:
        return bounds
    return None


def check_tile(z: int, x: int, y: int) -> None:
    """A tile address in the web mercator (XYZ) scheme: 0 ≤ x, y < 2^z."""
    if not 0 <= z <= MAX_ZOOM:
        raise Invalid(f"z is a zoom level from 0 to {MAX_ZOOM}", field="z")
    side = 1 << z
    if not 0 <= x < side:
        raise Invalid(f"x is from 0 to {side - 1} at zoom {z}", field="x")
    if not 0 <= y < side:
        raise Invalid(f"y is from 0 to {side - 1} at zoom {z}", field="y")


# WMTS REST templates name the tile by {TileMatrix}/{TileCol}/{TileRow}: the same numbers as z/x/y in
# the GoogleMapsCompatible tile matrix set, which is what a web map can draw.
_WMTS = {"{TileMatrix}": "{z}", "{TileCol}": "{x}", "{TileRow}": "{y}"}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_ALLOWED = {"z", "x", "y", "s"}
_HOST = re.compile(r"^(\{s\}\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$")


def check_tile_url(url: str) -> str:
    """An on-premises tile server's URL template, as Leaflet reads it: http(s), a host, and the
    {z}, {x} and {y} placeholders (WMTS REST's {TileMatrix}, {TileCol}, {TileRow} are taken for them)."""
    url = (url or "").strip()
    if not url or len(url) > URL_MAX or any(ord(c) <= 32 for c in url):
        raise Invalid(f"a tile URL is 1 to {URL_MAX} characters without spaces", field="url")
    for wmts, xyz in _WMTS.items():
        url = url.replace(wmts, xyz)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("a tile URL starts with http:// or https:// and names a host", field="url")
    # The host goes into the page's content security policy (img-src), where {s} becomes "*."
    if not _HOST.match(parts.netloc):
        raise Invalid("a tile URL's host is a name or address (with {s}. only as its first label, and a port)",
                      field="url")
    if parts.username or parts.password:
        raise Invalid("a tile URL carries no user name or password (every browser would see them)", field="url")
    names = _PLACEHOLDER.findall(url)
    unknown = sorted(set(names) - _ALLOWED)
    if unknown:
        raise Invalid(f"a tile URL has only the placeholders {{z}}, {{x}}, {{y}} and {{s}}, not {unknown[0]!r}",
                      field="url")
    missing = [p for p in ("z", "x", "y") if p not in names]
    if missing:
        raise Invalid(f"a tile URL needs the {{{missing[0]}}} placeholder", field="url")
    return url


def tile_origin(url: str) -> str:
    """The CSP source expression (img-src) that lets the browser load a tile server's images."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"
