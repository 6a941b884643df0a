"""HTTP adapters. `ROUTERS` lists every feature's router; `create_app` includes them in order."""

from __future__ import annotations

from fastapi import APIRouter

from concord.api import (
    events,
    health,
    incidents,
    messages,
    nations,
    people,
    public,
    releases,
    rfis,
    session,
    sitrep,
    ws,
)

ROUTERS: list[APIRouter] = [
    health.router,
    session.router,
    nations.router,
    people.router,
    events.router,
    messages.router,
    ws.router,
    incidents.router,
    rfis.router,
    releases.router,
    sitrep.router,
    public.router,
]
