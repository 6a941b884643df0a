"""The HTTP floor of bench_intel: a TAXII 2.1 collection that parses each envelope and answers a
complete status for it, storing nothing. Served by uvicorn like `concord serve` (bench/intel_floor.py)."""

from __future__ import annotations

import json
import uuid

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

MEDIA = "application/taxii+json;version=2.1"
COLLECTION = "00000000-0000-4000-8000-00000000f100"


def _json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body), status, media_type=MEDIA)


async def collection(_request: Request) -> Response:
    return _json({"id": COLLECTION, "title": "echo", "can_read": False, "can_write": True,
                  "media_types": ["application/stix+json;version=2.1"]})


async def add_objects(request: Request) -> Response:
    objects = json.loads(await request.body())["objects"]
    successes = [{"id": o["id"], "version": o.get("modified", "")} for o in objects]
    return _json({"id": str(uuid.uuid4()), "status": "complete", "request_timestamp": "2026-01-01T00:00:00.000000Z",
                  "total_count": len(objects), "success_count": len(objects), "successes": successes,
                  "failure_count": 0, "failures": [], "pending_count": 0, "pendings": []}, 202)


app = Starlette(routes=[
    Route(f"/taxii2/echo/collections/{COLLECTION}/", collection),
    Route(f"/taxii2/echo/collections/{COLLECTION}/objects/", add_objects, methods=["POST"]),
])
