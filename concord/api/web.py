"""Serve the built web UI (concord/web/dist) with a single-page-app fallback."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
RESERVED = ("/api", "/taxii2", "/public", "/metrics", "/healthz", "/readyz")

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Concord</title></head>
<body><h1>Concord</h1><p>The web interface has not been built. Run the setup command from the README
(it runs <code>npm ci &amp;&amp; npm run build</code> in <code>web/</code>).</p>
<p>The API is at <a href="/api/docs">/api/docs</a>.</p></body></html>"""


def mount_web(app: FastAPI) -> None:
    if (DIST / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=DIST / "assets"), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str, request: Request) -> Response:
        if request.url.path.startswith(RESERVED):
            return Response('{"error":{"code":"not_found","message":"no such resource","details":{}}}',
                            status_code=404, media_type="application/json")
        index = DIST / "index.html"
        candidate = (DIST / path).resolve()
        if path and candidate.is_file() and DIST.resolve() in candidate.parents:
            return FileResponse(candidate)
        if index.is_file():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return HTMLResponse(NOT_BUILT)
