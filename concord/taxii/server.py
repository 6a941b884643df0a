"""The TAXII 2.1 server at /taxii2/ (OASIS TAXII Version 2.1, Committee Specification 01 / OS).

Every handler authenticates (HTTP Basic or a bearer token, §3.3), checks content negotiation
(§1.6.8: `Accept` and `Content-Type` must be `application/taxii+json;version=2.1`), calls one
service method, and renders TAXII resources — errors included (§3.6.1), never the REST error shape.
Each object returned has passed the releasability policy inside the storage query.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from concord.api.deps import bearer_token
from concord.centre import Centre
from concord.domain.errors import ConcordError, Invalid, NotFound, TooLarge, Unauthenticated
from concord.domain.federation import is_peer
from concord.domain.intel import MEDIA_TYPE_STIX
from concord.domain.intel_query import ObjectQuery, VersionMatch, render_timestamp
from concord.domain.people import Actor
from concord.domain.stix import split_objects
from concord.services.federation import SignedRequest
from concord.storage.intel_read import VersionRow
from concord.taxii import pagination
from concord.taxii.pagination import CursorCodec, parse_query
from concord.taxii.responses import (
    TAXII_MEDIA_TYPE,
    envelope,
    error,
    from_domain,
    taxii_json,
)

ROOT = "/taxii2/"
API_ROOT = "/taxii2/concord/"
#: Largest envelope accepted (advertised as the API root's max_content_length, §4.2.1).
MAX_CONTENT_LENGTH = 32 * 1024 * 1024

router = APIRouter(include_in_schema=False)
Handler = Callable[[Request, Centre, Actor], Response]


def taxii(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate, negotiate, and render any domain error as a TAXII error message.

    The body (for POST) is read here, within max_content_length; the handler itself runs in the
    thread pool because services do blocking database work.
    """

    async def wrapper(request: Request) -> Response:
        centre: Centre = request.app.state.centre
        if not _accepts_taxii(request.headers.get("accept", "")):
            return error(406, f"this server answers with {TAXII_MEDIA_TYPE}; send it in the Accept header")
        try:
            if request.method == "POST":
                media = request.headers.get("content-type", "").replace(" ", "").lower()
                if media != TAXII_MEDIA_TYPE:
                    return error(415, f"send the envelope as {TAXII_MEDIA_TYPE}")
                request.state.body = await _read_body(request)
            actor = await run_in_threadpool(_authenticate, request, centre)
            response = await run_in_threadpool(handler, request, centre, actor)
        except ConcordError as exc:
            response = from_domain(exc)
            actor = None
        if actor is not None and is_peer(actor):
            # What a peer node reads is signed by this node's key, so the peer knows it came from here.
            signed = centre.federation.sign_response(_signed_request(request), response.status_code,
                                                     bytes(response.body))
            response.headers.update(signed)
        return response

    # Not functools.wraps: FastAPI would read the handler's signature and ask for centre and actor.
    wrapper.__name__ = handler.__name__
    wrapper.__doc__ = handler.__doc__
    return wrapper


def _accepts_taxii(accept: str) -> bool:
    for item in accept.split(","):
        media = item.split(";q=")[0].replace(" ", "").lower()
        if media in ("application/taxii+json;version=2.1", "application/taxii+json", "*/*", "application/*"):
            return True
    return False


def _authenticate(request: Request, centre: Centre) -> Actor:
    if "signature" in request.headers:
        # A peer node (docs/federation.md): an RFC 9421 signature by a node key an administrator added.
        return centre.federation.authenticate(_signed_request(request))
    token = bearer_token(request)
    if token is not None:
        return centre.auth.authenticate(token).actor
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            username, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("malformed Basic credentials") from None
        if not sep:
            raise Unauthenticated("malformed Basic credentials")
        address = request.client.host if request.client else "unknown"
        return centre.basic_auth.authenticate(username, password, address)
    raise Unauthenticated("authenticate with HTTP Basic or a bearer token")


def _signed_request(request: Request) -> SignedRequest:
    return SignedRequest(request.method, str(request.url), dict(request.headers.items()))


def _codec(centre: Centre) -> CursorCodec:
    return CursorCodec(centre.intel_read.paging_key())


def _query(request: Request, centre: Centre, allowed: frozenset[str]) -> ObjectQuery:
    return parse_query(request.query_params.multi_items(), allowed, _codec(centre))


def _page_headers(rows: list[Any]) -> dict[str, str]:
    """X-TAXII-Date-Added-First/Last (§5.4.2): the span of date_added in this response."""
    if not rows:
        return {}
    return {
        "X-TAXII-Date-Added-First": render_timestamp(rows[0].date_added),
        "X-TAXII-Date-Added-Last": render_timestamp(rows[-1].date_added),
    }


@router.get(ROOT)
@taxii
def discovery(request: Request, centre: Centre, actor: Actor) -> Response:
    """§4.1 Server Discovery."""
    base = str(request.base_url).rstrip("/")
    return taxii_json(
        {
            "title": "Concord TAXII 2.1 server",
            "description": "Intelligence shared between the partner nations of the joint coordination centre.",
            "default": base + API_ROOT,
            "api_roots": [base + API_ROOT],
        }
    )


@router.get(API_ROOT)
@taxii
def api_root(request: Request, centre: Centre, actor: Actor) -> Response:
    """§4.2 Get API Root Information."""
    return taxii_json(
        {
            "title": "Concord intelligence",
            "description": "One feed per partner nation and a joint feed.",
            "versions": [TAXII_MEDIA_TYPE],
            "max_content_length": MAX_CONTENT_LENGTH,
        }
    )


@router.get(API_ROOT + "status/{status_id}/")
@taxii
def status(request: Request, centre: Centre, actor: Actor) -> Response:
    """§4.3 Get Status."""
    found = centre.intel_read.status(actor, request.path_params["status_id"])
    return taxii_json(_status_body(found["id"], found["request_timestamp"], found["successes"], found["failures"]))


def _status_body(status_id: str, requested: str, successes: list[Any], failures: list[Any]) -> dict[str, Any]:
    return {
        "id": status_id,
        "status": "complete",
        "request_timestamp": requested,
        "total_count": len(successes) + len(failures),
        "success_count": len(successes),
        "successes": successes,
        "failure_count": len(failures),
        # status-details (TAXII 2.1 §4.3.1) has id, version and message; the field is for the REST form.
        "failures": [{k: v for k, v in f.items() if k != "field"} for f in failures],
        "pending_count": 0,
        "pendings": [],
    }


def _collection_body(found: Any, can_read: bool, can_write: bool) -> dict[str, Any]:
    return {
        "id": found.id,
        "title": found.title,
        "description": found.description,
        "can_read": can_read,
        "can_write": can_write,
        "media_types": [MEDIA_TYPE_STIX],
    }


@router.get(API_ROOT + "collections/")
@taxii
def collections(request: Request, centre: Centre, actor: Actor) -> Response:
    """§5.1 Get Collections."""
    return taxii_json({"collections": [_collection_body(*c) for c in centre.intel_read.collections(actor)]})


@router.get(API_ROOT + "collections/{collection_id}/")
@taxii
def collection(request: Request, centre: Centre, actor: Actor) -> Response:
    """§5.2 Get a Collection."""
    return taxii_json(_collection_body(*centre.intel_read.collection(actor, request.path_params["collection_id"])))


@router.get(API_ROOT + "collections/{collection_id}/manifest/")
@taxii
def manifest(request: Request, centre: Centre, actor: Actor) -> Response:
    """§5.3 Get Object Manifests."""
    query = _query(request, centre, pagination.MANIFEST_PARAMS)
    page = centre.intel_read.page(actor, request.path_params["collection_id"], query, with_raw=False)
    body: dict[str, Any] = {"more": page.more}
    if page.more and page.last is not None:
        body["next"] = _codec(centre).encode(page.last)
    if page.rows:
        body["objects"] = [
            {
                "id": r.stix_id,
                "date_added": render_timestamp(r.date_added),
                "version": render_timestamp(r.version),
                "media_type": MEDIA_TYPE_STIX,
            }
            for r in page.rows
        ]
    return taxii_json(body, headers=_page_headers(page.rows))


@router.get(API_ROOT + "collections/{collection_id}/objects/")
@taxii
def get_objects(request: Request, centre: Centre, actor: Actor) -> Response:
    """§5.4 Get Objects."""
    query = _query(request, centre, pagination.OBJECTS_PARAMS)
    return _objects_page(request, centre, actor, query, None)


def _objects_page(request: Request, centre: Centre, actor: Actor, query: ObjectQuery, stix_id: str | None) -> Response:
    page = centre.intel_read.page(actor, request.path_params["collection_id"], query, stix_id=stix_id)
    _found_or_404(page.rows, query, stix_id)
    next_token = _codec(centre).encode(page.last) if page.more and page.last else None
    _audit_page(centre, actor, page.rows)
    return envelope((r.raw or "" for r in page.rows), page.more, next_token, _page_headers(page.rows))


@router.post(API_ROOT + "collections/{collection_id}/objects/")
@taxii
def add_objects(request: Request, centre: Centre, actor: Actor) -> Response:
    """§5.5 Add Objects: valid objects are stored, invalid ones listed as failures with their reason."""
    _members, items = split_objects(request.state.body)
    result = centre.intel.add(actor, request.path_params["collection_id"], items)
    return taxii_json(_status_body(result.status_id, result.request_timestamp, result.successes, result.failures), 202)


def _audit_page(centre: Centre, actor: Actor, rows: list[VersionRow]) -> None:
    """Record the read of the objects at or above the audit level among those returned (docs/audit.md)."""
    level = centre.audit.read_level
    markings = centre.intel_read.markings_at_or_above(actor, [r.object_id for r in rows], int(level)) if rows else {}
    centre.audit.record_returned(
        actor, "intel", ((r.object_id, markings[r.object_id], json.loads(r.raw or "{}"))
                         for r in rows if r.object_id in markings)
    )


def _found_or_404(rows: list[Any], query: ObjectQuery, stix_id: str | None) -> None:
    """§5.6/§5.8: an object with nothing the reader may see (at all, not only on this page) is not found."""
    if stix_id is not None and not rows and query.after is None and query.added_after is None:
        raise NotFound(f"no object {stix_id} in this collection", field="object_id")


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_CONTENT_LENGTH:
        raise TooLarge(f"the envelope is larger than max_content_length ({MAX_CONTENT_LENGTH} bytes)")
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > MAX_CONTENT_LENGTH:
            raise TooLarge(f"the envelope is larger than max_content_length ({MAX_CONTENT_LENGTH} bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


@router.get(API_ROOT + "collections/{collection_id}/objects/{object_id}/")
@taxii
def get_object(request: Request, centre: Centre, actor: Actor) -> Response:
    """§5.6 Get an Object: its versions in this collection (by default the latest)."""
    query = _query(request, centre, pagination.OBJECT_PARAMS)
    return _objects_page(request, centre, actor, query, request.path_params["object_id"])


@router.delete(API_ROOT + "collections/{collection_id}/objects/{object_id}/")
@taxii
def delete_object(request: Request, centre: Centre, actor: Actor) -> Response:
    """§5.7 Delete an Object: the originator's copy, all versions unless match[version] narrows it."""
    query = _query(request, centre, pagination.DELETE_PARAMS)
    versions = _explicit_versions(query.versions, request)
    centre.intel.delete(actor, request.path_params["collection_id"], request.path_params["object_id"], versions)
    return Response(status_code=200, media_type=TAXII_MEDIA_TYPE)


def _explicit_versions(wanted: VersionMatch, request: Request) -> list[str] | None:
    """None (every version) unless match[version] names versions; first/last are not deletable by name."""
    if "match[version]" not in request.query_params or wanted.all:
        return None
    if wanted.first or wanted.last:
        raise Invalid("delete names versions by timestamp, or uses all", field="match[version]")
    return sorted(wanted.versions)


@router.get(API_ROOT + "collections/{collection_id}/objects/{object_id}/versions/")
@taxii
def object_versions(request: Request, centre: Centre, actor: Actor) -> Response:
    """§5.8 Get Object Versions."""
    query = _query(request, centre, pagination.VERSIONS_PARAMS)
    query = ObjectQuery(
        ids=None,
        types=None,
        versions=VersionMatch(all=True, last=False),
        spec_versions=query.spec_versions,
        added_after=query.added_after,
        limit=query.limit,
        after=query.after,
    )
    page = centre.intel_read.page(
        actor, request.path_params["collection_id"], query, stix_id=request.path_params["object_id"], with_raw=False
    )
    _found_or_404(page.rows, query, request.path_params["object_id"])
    body: dict[str, Any] = {"more": page.more}
    if page.more and page.last is not None:
        body["next"] = _codec(centre).encode(page.last)
    if page.rows:
        body["versions"] = [render_timestamp(r.version) for r in page.rows]
    return taxii_json(body, headers=_page_headers(page.rows))
