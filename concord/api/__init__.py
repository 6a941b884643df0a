"""HTTP adapters. `ROUTER_MODULES` names every feature's module; `create_app` includes their routers in order.

One name per line, so that features adding routers never touch the same line.
"""

from __future__ import annotations

import importlib

from fastapi import APIRouter

ROUTER_MODULES: list[str] = [
    "health",
    "docs",
    "session",
    "nations",
    "people",
    "privileged_requests",
    "tak_devices",
    "events",
    "channels",
    "messages",
    "duty",
    "presence",
    "ws",
    "audit",
    "operations",
    "sites",
    "conflicts",
    "incidents",
    "rfis",
    "releases",
    "sitrep",
    "public",
    "tracks",
    "intel",
    "federation",
    "federation_feed",
]


def routers() -> list[APIRouter]:
    return [importlib.import_module(f"concord.api.{name}").router for name in ROUTER_MODULES]
