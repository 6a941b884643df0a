"""Presence over REST: who is online now (changes are pushed on `/api/ws`)."""

from __future__ import annotations

from typing import Any

from concord.api.deps import ActorDep, CentreDep
from concord.api.read_audit import api_router
from concord.clock import iso

router = api_router(prefix="/api", tags=["messages"])


@router.get("/presence", summary="Who is online now")
def presence(actor: ActorDep, centre: CentreDep) -> list[dict[str, Any]]:
    return [{"person_id": o.person_id, "connections": o.connections, "since": iso(o.since)}
            for o in centre.presence.online(actor)]
