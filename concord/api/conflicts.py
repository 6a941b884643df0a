"""Conflicts over HTTP: in full where the caller may see both sides, as a warning where only one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from concord.api.deps import ActorDep, CentreDep
from concord.api.models import Id, Strict
from concord.api.operations import Text
from concord.api.read_audit import api_router
from concord.domain.conflicts import ConflictStatus

router = api_router(prefix="/api/conflicts", tags=["conflicts"])
ConflictId = Id


class NoteIn(Strict):
    note: Text


class OverrideIn(Strict):
    operation_id: Id
    justification: Text


@router.get("", summary="Conflicts the caller may see at least one side of")
def list_conflicts(actor: ActorDep, centre: CentreDep, status: ConflictStatus | None = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> list[dict[str, Any]]:
    return centre.conflicts.list_visible(actor, status=status, limit=limit)


@router.get("/{conflict_id}", summary="One conflict")
def get_conflict(conflict_id: ConflictId, actor: ActorDep, centre: CentreDep) -> dict[str, Any]:
    return centre.conflicts.get(actor, conflict_id)


@router.post("/{conflict_id}/acknowledge", summary="Acknowledge, with a note")
def acknowledge(conflict_id: ConflictId, body: NoteIn, actor: ActorDep, centre: CentreDep) -> dict[str, Any]:
    return centre.conflicts.step(actor, conflict_id, ConflictStatus.ACKNOWLEDGED, body.note)


@router.post("/{conflict_id}/resolve", summary="Resolve, with a note")
def resolve(conflict_id: ConflictId, body: NoteIn, actor: ActorDep, centre: CentreDep) -> dict[str, Any]:
    return centre.conflicts.step(actor, conflict_id, ConflictStatus.RESOLVED, body.note)


@router.post("/{conflict_id}/override", summary="A commander overrides for an operation's current version")
def override(conflict_id: ConflictId, body: OverrideIn, actor: ActorDep, centre: CentreDep) -> dict[str, Any]:
    centre.operations.override(actor, conflict_id, body.operation_id, body.justification)
    return centre.conflicts.get(actor, conflict_id)
