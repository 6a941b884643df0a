"""Serves the built web interface: `concord/web/dist` at `/`, with `index.html` for every client
route (`/operations/12`, `/chat`, ...) so a reload or a shared link lands on the same screen.

Text assets are also built compressed (`name.br`, `name.gz` beside `name`, by web/vite.config.ts):
a browser that accepts brotli or gzip gets that file as is, with `Content-Encoding`, instead of the
full one (the map's 756 KB country outlines travel as about 205 KB), and nothing is compressed per
request.

The fallback never shadows the server's own namespaces: paths under `/api`, `/taxii2`, `/public`,
`/metrics`, `/healthz` and `/readyz` do not match it at all, so they reach their routers (whenever
those are registered) or the normal 404. The assets are built from npm packages by the setup
command (`npm ci && npm run build` in `web/`); nothing is fetched from elsewhere at run time.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Match, Route
from starlette.types import Scope

DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
RESERVED_PREFIXES = ("/api", "/taxii2", "/public", "/metrics", "/healthz", "/readyz")

# Hashed file names under assets/ never change content: cache them for a year. Everything else
# (index.html above all) is revalidated so a new build is picked up at once.
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_HOST = re.compile(r"^[A-Za-z0-9.\-:\[\]]+$")

NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>Concord</title>
<p>The web interface has not been built.
Run <code>npm ci &amp;&amp; npm run build</code> in <code>web/</code>.</p>"""


#: Precompressed variants, best first: (Accept-Encoding token, file suffix).
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def accepted_encodings(header: str) -> set[str]:
    """The codings an Accept-Encoding header allows (RFC 9110 §12.5.3; q=0 refuses one)."""
    allowed: set[str] = set()
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name and q > 0:
            allowed.add(name.strip().lower())
    return allowed


def _asset_response(path: Path, request: Request, headers: dict[str, str]) -> FileResponse:
    """The file, or its precompressed variant when there is one and the browser accepts it."""
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    accepted = accepted_encodings(request.headers.get("accept-encoding", ""))
    for coding, suffix in ENCODINGS:
        variant = path.with_name(path.name + suffix)
        if variant.is_file():
            headers = {**headers, "Vary": "Accept-Encoding"}
            if coding in accepted:
                return FileResponse(variant, media_type=media_type,
                                    headers={**headers, "Content-Encoding": coding})
    return FileResponse(path, media_type=media_type, headers=headers)


def is_reserved(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in RESERVED_PREFIXES)


class _InterfaceRoute(Route):
    """A catch-all GET route that steps aside for the reserved namespaces."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and is_reserved(scope["path"]):
            return Match.NONE, {}
        return super().matches(scope)


def _security_headers(request: Request, tile_origins: list[str] | None = None) -> dict[str, str]:
    host = request.headers.get("host", "")
    # The centre's own tile servers (administrators add them: services/map_data.py) and nothing else.
    tiles = "".join(f" {origin}" for origin in tile_origins or ())
    # Same-origin WebSocket (/api/ws) spelled out: older engines do not count ws: as 'self'.
    ws = f" ws://{host} wss://{host}" if _HOST.match(host) else ""
    return {
        "Content-Security-Policy": (
            f"default-src 'self'; script-src 'self'; img-src 'self' data: blob:{tiles}; "
            # Leaflet and milsymbol position and colour elements with inline styles.
            "style-src 'self' 'unsafe-inline'; font-src 'self'; "
            f"connect-src 'self'{ws}; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'; form-action 'self'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }


def mount_web(app: FastAPI, dist: Path | None = None, *,
              tile_origins: Callable[[], Sequence[str]] = lambda: ()) -> None:
    """Serve the interface built in `dist` (default `concord/web/dist`) at `/`; the page may load
    images from `tile_origins()` (the centre's own tile servers) besides itself."""
    root = (dist or DIST).resolve()
    index = root / "index.html"

    async def interface(request: Request) -> Response:
        relative = request.path_params["path"]
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503)
        headers = _security_headers(request)
        if relative.endswith(".map") and not request.app.state.centre.settings.serve_source_maps:
            return JSONResponse(
                {"error": {"code": "not_found", "message": f"no such file: /{relative}", "details": {}}},
                status_code=404,
            )
        if relative:
            candidate = (root / relative).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                cache = IMMUTABLE if relative.startswith("assets/") else REVALIDATE
                return _asset_response(candidate, request, {**headers, "Cache-Control": cache})
            if relative.startswith("assets/") or "." in relative.rsplit("/", 1)[-1]:
                # A missing file must not come back as the HTML page (a script would fail obscurely).
                return JSONResponse(
                    {"error": {"code": "not_found", "message": f"no such file: /{relative}", "details": {}}},
                    status_code=404,
                )
        # The page itself may load images from the centre's own tile servers (its policy governs them).
        origins = await run_in_threadpool(tile_origins)
        return FileResponse(index, headers={**_security_headers(request, list(origins)),
                                            "Cache-Control": REVALIDATE})

    app.router.routes.append(
        _InterfaceRoute("/{path:path}", interface, methods=["GET", "HEAD"], include_in_schema=False)
    )
