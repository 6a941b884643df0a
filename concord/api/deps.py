"""Request dependencies: the centre, and the signed-in person (cookie + CSRF, or bearer token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from concord.centre import Centre
from concord.domain.errors import Forbidden, Unauthenticated
from concord.domain.people import Actor
from concord.services.auth import Authenticated

SESSION_COOKIE = "concord_session"
CSRF_COOKIE = "concord_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_centre(request: Request) -> Centre:
    centre: Centre = request.app.state.centre
    return centre


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        return value.strip()
    return None


def authenticate(request: Request, centre: Centre) -> Authenticated:
    token = bearer_token(request)
    if token is not None:
        return centre.auth.authenticate(token)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is None:
        raise Unauthenticated("sign in first")
    auth = centre.auth.authenticate(cookie)
    # Cookies ride along on cross-site requests; a state change must prove it came from our page.
    if request.method not in SAFE_METHODS and not auth.csrf_ok(request.headers.get(CSRF_HEADER)):
        raise Forbidden("missing or wrong CSRF token", details={"header": CSRF_HEADER})
    return auth


async def centre_of(request: Request) -> Centre:
    """`get_centre` as a dependency. Dependencies that do not block are `async def`: FastAPI runs a
    plain `def` dependency in the thread pool, a hand-off per dependency per request (they were half
    the thread hops of a posted message)."""
    return get_centre(request)


def current_auth(request: Request, centre: Annotated[Centre, Depends(centre_of)]) -> Authenticated:
    auth = authenticate(request, centre)  # a database read: in the thread pool
    request.state.actor = auth.actor
    return auth


async def current_actor(auth: Annotated[Authenticated, Depends(current_auth)]) -> Actor:
    return auth.actor


CentreDep = Annotated[Centre, Depends(centre_of)]
ActorDep = Annotated[Actor, Depends(current_actor)]
AuthDep = Annotated[Authenticated, Depends(current_auth)]
