"""The event log as the signed-in person may see it (the WebSocket pushes the same rows)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel

from concord.api.deps import ActorDep, CentreDep
from concord.api.models import MarkingOut, Position
from concord.api.read_audit import api_router
from concord.clock import iso
from concord.storage.events import Event, events_after

router = api_router(prefix="/api", tags=["events"])


class EventOut(BaseModel):
    id: int
    at: str
    kind: str
    item_type: str
    item_id: str
    actor_id: int | None
    actor_nation: str | None
    payload: dict[str, Any]
    marking: MarkingOut

    @classmethod
    def of(cls, event: Event) -> EventOut:
        return cls(id=event.id, at=iso(event.at), kind=event.kind, item_type=event.item_type,
                   item_id=event.item_id, actor_id=event.actor_id, actor_nation=event.actor_nation,
                   payload=event.payload, marking=MarkingOut.of(event.marking))


@router.get("/events", response_model=list[EventOut], summary="Events after an id, through the policy")
def list_events(
    actor: ActorDep,
    centre: CentreDep,
    after: Annotated[Position, Query()] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[EventOut]:
    with centre.db.read() as conn:
        return [EventOut.of(e) for e in events_after(conn, actor.reader, after, limit=limit)]
