"""Partner nations and their labels for the common classification levels."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, Field

from concord.api.deps import ActorDep, CentreDep
from concord.api.models import Strict
from concord.api.read_audit import api_router
from concord.domain.nations import Nation

router = api_router(prefix="/api", tags=["nations"])


class NationOut(BaseModel):
    code: str
    name: str
    labels: dict[str, str]

    @classmethod
    def of(cls, n: Nation) -> NationOut:
        return cls(code=n.code, name=n.name, labels=n.labels)


class NationIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    labels: Annotated[dict[str, str], Field(max_length=8, description="the nation's own label for each common "
                                                                     "level, e.g. {\"SECRET\": \"GİZLİ\"}")]


@router.get("/nations", response_model=list[NationOut], summary="Partner nations of the centre")
def list_nations(_actor: ActorDep, centre: CentreDep) -> list[NationOut]:
    return [NationOut.of(n) for n in centre.nations.all()]


@router.put("/nations/{code}", response_model=NationOut,
            summary="Change one's own nation's name and classification labels (its administrators)")
def change_nation(code: Annotated[str, Path(pattern=r"^[A-Z]{3}$")], body: NationIn, actor: ActorDep,
                  centre: CentreDep) -> NationOut:
    return NationOut.of(centre.nations.change(actor, code, body.name, body.labels))
