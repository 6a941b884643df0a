"""Partner nations and their labels for the common classification levels."""

from __future__ import annotations

from pydantic import BaseModel

from concord.api.deps import ActorDep, CentreDep
from concord.api.read_audit import api_router

router = api_router(prefix="/api", tags=["nations"])


class NationOut(BaseModel):
    code: str
    name: str
    labels: dict[str, str]


@router.get("/nations", response_model=list[NationOut], summary="Partner nations of the centre")
def list_nations(_actor: ActorDep, centre: CentreDep) -> list[NationOut]:
    return [NationOut(code=n.code, name=n.name, labels=n.labels) for n in centre.nations.all()]
