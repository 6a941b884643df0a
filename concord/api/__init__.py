"""HTTP adapters. `ROUTERS` lists every feature's router; `create_app` includes them in order."""

from __future__ import annotations

from fastapi import APIRouter

from concord.api import audit, events, health, incidents, nations, people, public, releases, rfis, session, sitrep

ROUTERS: list[APIRouter] = [
    health.router,
    session.router,
    nations.router,
    people.router,
    events.router,
    audit.router,
    incidents.router,
    rfis.router,
    releases.router,
    sitrep.router,
    public.router,
]
