"""The node-to-node feed of the event log over HTTP: `GET /federation/v1/feed` (docs/federation.md).

Read by peer nodes only: the request is signed with the peer's node key (RFC 9421), and the answer with
this node's, so the peer takes nothing a party in between could have changed. Not in the OpenAPI
document: no person's session reads it.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from concord.centre import Centre
from concord.services.federation import SignedRequest
from concord.services.federation_feed import FEED_PATH

router = APIRouter(include_in_schema=False)

#: The most entries' events one page reads (a receiver asks for fewer).
MAX_LIMIT = 5000


@router.get(FEED_PATH)
async def feed(request: Request, after: Annotated[int, Query(ge=0, le=2**62)] = 0,
               limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 500) -> Response:
    """The entries touched by this node's events after position `after`, as the asking peer may receive them."""
    centre: Centre = request.app.state.centre
    signed = SignedRequest(request.method, str(request.url), dict(request.headers.items()))
    actor = await run_in_threadpool(centre.federation.authenticate, signed)
    page = await run_in_threadpool(centre.federation_feed.serve, actor, after, limit)
    body = json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = centre.federation.sign_response(signed, 200, body)
    return Response(body, 200, media_type="application/json", headers=headers)
