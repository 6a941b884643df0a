"""The duty roster over REST: who is on shift as watch officer now, and planning a shift."""

from __future__ import annotations

from typing import Any

from concord.api.deps import ActorDep, CentreDep
from concord.api.models import Id, NationCode, Strict, UtcDateTime
from concord.api.read_audit import api_router
from concord.clock import iso

router = api_router(prefix="/api", tags=["messages"])


class ShiftIn(Strict):
    person_id: Id
    starts_at: UtcDateTime
    ends_at: UtcDateTime


@router.get("/duty", summary="Who is on shift as watch officer now")
def on_duty(actor: ActorDep, centre: CentreDep, nation: NationCode | None = None) -> list[dict[str, Any]]:
    return [{"id": shift_id, "nation": s.nation, "person_id": s.person_id, "starts_at": iso(s.starts_at),
             "ends_at": iso(s.ends_at)} for shift_id, s in centre.duty.on_duty(nation=nation)]


@router.post("/duty", status_code=201, summary="Plan a watch shift for a person of one's nation")
def add_shift(body: ShiftIn, actor: ActorDep, centre: CentreDep) -> dict[str, int]:
    return {"id": centre.duty.add_shift(actor, person_id=body.person_id, starts_at=body.starts_at,
                                                    ends_at=body.ends_at)}
