"""Joint public releases over HTTP: propose, amend, approve the exact text (by its hash), withdraw."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from concord.api.deps import ActorDep, CentreDep
from concord.api.models import Id, MarkingOut, NationCode, Strict
from concord.api.read_audit import MarkedOut, api_router
from concord.clock import iso
from concord.domain.releases import Release, ReleaseStatus

router = api_router(prefix="/api", tags=["releases"])


class TextIn(Strict):
    title: Annotated[str, Field(max_length=200)]
    body: Annotated[str, Field(max_length=20_000)]


class ReferenceIn(Strict):
    type: Annotated[str, Field(pattern="^(incident|rfi|operation|intel)$")]
    id: Id | Annotated[str, Field(max_length=160)]


class ReleaseIn(Strict):
    concerned: Annotated[list[NationCode], Field(min_length=1, max_length=50,
                                                 description="nations that must approve besides yours")]
    texts: Annotated[dict[str, TextIn], Field(description="en, tr and/or ar: title and body in each; the "
                                                          "languages left out are to be translated")]
    references: Annotated[list[ReferenceIn], Field(max_length=100)] = Field(default_factory=list)


class ReleaseEdit(Strict):
    texts: dict[str, TextIn] | None = None
    references: Annotated[list[ReferenceIn], Field(max_length=100)] | None = None


class ApproveIn(Strict):
    content_hash: Annotated[str, Field(description="the content_hash of the text being approved")]


class ApprovalOut(BaseModel):
    nation: str
    person_id: int | None
    at: str


class ReleaseOut(MarkedOut):
    audit_type = "release"

    id: int
    proposer: str
    concerned: list[str]
    texts: dict[str, dict[str, str]]
    to_translate: list[str]
    references: list[dict[str, str]]
    content_hash: str
    status: ReleaseStatus
    approvals: list[ApprovalOut]
    awaiting: list[str]
    proposed_at: str
    updated_at: str
    published_at: str | None
    version: int
    marking: MarkingOut

    @classmethod
    def of(cls, release: Release) -> ReleaseOut:
        assert release.id is not None
        content = release.content.to_dict()
        return cls(
            id=release.id, proposer=release.proposer, concerned=sorted(release.concerned), texts=content["texts"],
            to_translate=list(release.content.to_translate), references=content["references"],
            content_hash=release.content_hash, status=release.status,
            approvals=[ApprovalOut(nation=a.nation, person_id=a.person_id, at=iso(a.at))
                       for a in sorted(release.valid_approvals.values(), key=lambda a: a.at)],
            awaiting=sorted(release.awaiting), proposed_at=iso(release.proposed_at),
            updated_at=iso(release.updated_at),
            published_at=iso(release.published_at) if release.published_at else None,
            version=release.version, marking=MarkingOut.of(release.marking),
        )


def _raw(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(exclude_none=True)


@router.post("/releases", response_model=ReleaseOut, status_code=201, summary="Propose a joint public release")
def propose(body: ReleaseIn, actor: ActorDep, centre: CentreDep) -> ReleaseOut:
    return ReleaseOut.of(centre.releases.propose(actor, _raw(body)))


@router.get("/releases", response_model=list[ReleaseOut], summary="Release proposals the caller may see")
def list_releases(actor: ActorDep, centre: CentreDep, status: ReleaseStatus | None = None) -> list[ReleaseOut]:
    found = centre.releases.visible(actor, status.value if status else None)
    return [ReleaseOut.of(r) for r in found]


@router.get("/releases/{release_id}", response_model=ReleaseOut, summary="One release with its content hash")
def get_release(release_id: Id, actor: ActorDep, centre: CentreDep) -> ReleaseOut:
    release = centre.releases.get(actor, release_id)
    return ReleaseOut.of(release)


@router.put("/releases/{release_id}", response_model=ReleaseOut,
            summary="Amend the text (voids every approval given so far)")
def edit(release_id: Id, body: ReleaseEdit, actor: ActorDep, centre: CentreDep) -> ReleaseOut:
    return ReleaseOut.of(centre.releases.edit(actor, release_id, _raw(body)))


@router.post("/releases/{release_id}/approve", response_model=ReleaseOut,
             summary="Approve the exact text named by content_hash (commanders of concerned nations)")
def approve(release_id: Id, body: ApproveIn, actor: ActorDep, centre: CentreDep) -> ReleaseOut:
    return ReleaseOut.of(centre.releases.approve(actor, release_id, body.content_hash))


@router.post("/releases/{release_id}/withdraw", response_model=ReleaseOut, summary="Withdraw the proposal")
def withdraw(release_id: Id, actor: ActorDep, centre: CentreDep) -> ReleaseOut:
    return ReleaseOut.of(centre.releases.withdraw(actor, release_id))
