"""The API's interactive documentation: Swagger UI from the `swagger-ui-bundle` package installed at
set-up, served by the centre itself (nothing from a CDN: the page works on an isolated network, and
no third party's script runs on the centre's origin). Behind sign-in unless `docs_public` is set
(the demo sets it); the OpenAPI document itself stays readable, the web UI reads it to learn which
features this build has.
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from fastapi import HTTPException, Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from concord.api.deps import authenticate, get_centre
from concord.api.read_audit import api_router
from concord.domain.errors import ConcordError

router = api_router(include_in_schema=False)

SWAGGER = Path(swagger_ui_bundle.swagger_ui_path)
INIT = Path(__file__).parent / "docs_assets" / "init.js"
#: The files the page uses, and nothing else of the package (its source maps above all).
ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
          "favicon-32x32.png": "image/png"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Concord API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/api/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
"""


@router.get("/api/docs")
def docs(request: Request) -> Response:
    centre = get_centre(request)
    if not centre.settings.docs_public:
        try:
            authenticate(request, centre)
        except ConcordError:
            return RedirectResponse("/signin", status_code=303)
    return HTMLResponse(PAGE, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"})


@router.get("/api/docs/init.js")
def init() -> Response:
    return FileResponse(INIT, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@router.get("/api/docs/assets/{name}")
def asset(name: str) -> Response:
    if name not in ASSETS:
        raise HTTPException(404, f"no such file: {name}")
    return FileResponse(SWAGGER / name, media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=86400"})
