"""Requests for information over HTTP: inbox and outbox, the lifecycle, duplicate hints, figures."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from concord.api.deps import ActorDep, CentreDep
from concord.api.models import Id, MarkingIn, MarkingOut, NationCode, Strict
from concord.api.read_audit import MarkedOut, api_router
from concord.clock import iso
from concord.domain.rfi_duplicates import PossibleDuplicate
from concord.domain.rfis import Priority, Rfi, RfiStatus

router = api_router(prefix="/api", tags=["rfis"])
LevelName = Annotated[str, Field(pattern="^(UNCLASSIFIED|RESTRICTED|CONFIDENTIAL|SECRET)$")]


class RfiIn(Strict):
    recipients: Annotated[list[NationCode], Field(min_length=1, max_length=50)]
    subject: Annotated[str, Field(max_length=200, description="one subject per RFI")]
    question: Annotated[str, Field(max_length=10_000)]
    priority: Priority = Priority.ROUTINE
    ltiov: Annotated[str, Field(description="latest time of information value, ISO 8601 with offset")]
    ceiling: Annotated[LevelName | None, Field(description="highest marking an answer may carry")] = None
    marking: MarkingIn


class DuplicateCheckIn(Strict):
    subject: Annotated[str, Field(max_length=200)]
    question: Annotated[str, Field(max_length=10_000)]


class ReasonIn(Strict):
    reason: Annotated[str, Field(max_length=2000)]


class AnswerIn(Strict):
    text: Annotated[str, Field(max_length=20_000)]
    marking: MarkingIn


class TaskingOut(BaseModel):
    nation: str
    status: str
    responded_at: str | None
    reason: str
    first_answer_at: str | None


class AnswerOut(BaseModel):
    nation: str
    person_id: int | None
    at: str
    text: str
    marking: MarkingOut


class RfiOut(MarkedOut):
    audit_type = "rfi"

    id: int
    requester: str
    recipients: list[str]
    subject: str
    question: str
    priority: Priority
    ltiov: str
    ceiling: str
    status: RfiStatus
    overdue: bool
    submitted_at: str
    ended_at: str | None
    taskings: list[TaskingOut]
    answers: list[AnswerOut]
    version: int
    marking: MarkingOut

    @classmethod
    def of(cls, rfi: Rfi, now: Any) -> RfiOut:
        assert rfi.id is not None
        return cls(
            id=rfi.id, requester=rfi.requester, recipients=sorted(rfi.recipients), subject=rfi.subject,
            question=rfi.question, priority=rfi.priority, ltiov=iso(rfi.ltiov), ceiling=rfi.ceiling.name,
            status=rfi.status, overdue=rfi.is_overdue(now), submitted_at=iso(rfi.submitted_at),
            ended_at=iso(rfi.ended_at) if rfi.ended_at else None,
            taskings=[TaskingOut(nation=t.nation, status=t.status.value,
                                 responded_at=iso(t.responded_at) if t.responded_at else None, reason=t.reason,
                                 first_answer_at=iso(t.first_answer_at) if t.first_answer_at else None)
                      for t in rfi.taskings.values()],
            answers=[AnswerOut(nation=a.nation, person_id=a.person_id, at=iso(a.at), text=a.text,
                               marking=MarkingOut.of(a.marking)) for a in rfi.answers],
            version=rfi.version, marking=MarkingOut.of(rfi.marking),
        )


class DuplicateOut(BaseModel):
    rfi_id: int
    subject: str
    score: float


class SubmittedOut(BaseModel):
    rfi: RfiOut
    possible_duplicates: list[DuplicateOut]


class FiguresOut(BaseModel):
    nation: str
    open_received: int
    overdue_received: int
    open_sent: int
    overdue_sent: int
    answered: int
    median_hours_to_answer: float | None


def _duplicates(hints: list[tuple[PossibleDuplicate, str]]) -> list[DuplicateOut]:
    return [DuplicateOut(rfi_id=h.rfi_id, subject=subject, score=h.score) for h, subject in hints]


@router.post("/rfis", response_model=SubmittedOut, status_code=201,
             summary="Submit an RFI; possible duplicates among open RFIs are pointed out")
def submit(body: RfiIn, actor: ActorDep, centre: CentreDep) -> SubmittedOut:
    raw = body.model_dump(exclude_none=True)
    raw["marking"] = body.marking.to_marking(actor.nation)
    submitted = centre.rfis.submit(actor, raw)
    return SubmittedOut(rfi=RfiOut.of(submitted.rfi, centre.clock.now()),
                        possible_duplicates=_duplicates(submitted.possible_duplicates))


@router.post("/rfis/duplicates", response_model=list[DuplicateOut],
             summary="Check a draft against open RFIs before submitting")
def check_duplicates(body: DuplicateCheckIn, actor: ActorDep, centre: CentreDep) -> list[DuplicateOut]:
    return _duplicates(centre.rfis.duplicates(actor, body.subject, body.question))


@router.get("/rfis", response_model=list[RfiOut], summary="RFIs: inbox (to my nation), outbox (from it) or all")
def list_rfis(actor: ActorDep, centre: CentreDep, box: Literal["inbox", "outbox", "all"] = "all",
              status: RfiStatus | None = None) -> list[RfiOut]:
    now = centre.clock.now()
    found = centre.rfis.visible(actor, box=box, status=status.value if status else None)
    return [RfiOut.of(r, now) for r in found]


@router.get("/rfis/figures", response_model=list[FiguresOut],
            summary="Per-nation figures: open, overdue, median hours to answer")
def figures(actor: ActorDep, centre: CentreDep) -> list[FiguresOut]:
    return [FiguresOut(**f.to_dict()) for f in centre.rfis.figures(actor)]


@router.get("/rfis/{rfi_id}", response_model=RfiOut, summary="One RFI with the answers the caller may see")
def get_rfi(rfi_id: Id, actor: ActorDep, centre: CentreDep) -> RfiOut:
    rfi = centre.rfis.get(actor, rfi_id)
    return RfiOut.of(rfi, centre.clock.now())


@router.post("/rfis/{rfi_id}/accept", response_model=RfiOut, summary="Accept for the caller's nation")
def accept(rfi_id: Id, actor: ActorDep, centre: CentreDep) -> RfiOut:
    return RfiOut.of(centre.rfis.accept(actor, rfi_id), centre.clock.now())


@router.post("/rfis/{rfi_id}/reject", response_model=RfiOut, summary="Reject for the caller's nation, with a reason")
def reject(rfi_id: Id, body: ReasonIn, actor: ActorDep, centre: CentreDep) -> RfiOut:
    return RfiOut.of(centre.rfis.reject(actor, rfi_id, body.reason), centre.clock.now())


@router.post("/rfis/{rfi_id}/answers", response_model=RfiOut, status_code=201,
             summary="Answer (marked within the RFI's ceiling)")
def answer(rfi_id: Id, body: AnswerIn, actor: ActorDep, centre: CentreDep) -> RfiOut:
    marking = body.marking.to_marking(actor.nation)
    return RfiOut.of(centre.rfis.answer(actor, rfi_id, body.text, marking), centre.clock.now())


@router.post("/rfis/{rfi_id}/close", response_model=RfiOut, summary="Close an answered RFI (requester)")
def close(rfi_id: Id, actor: ActorDep, centre: CentreDep) -> RfiOut:
    return RfiOut.of(centre.rfis.close(actor, rfi_id), centre.clock.now())


@router.post("/rfis/{rfi_id}/withdraw", response_model=RfiOut, summary="Withdraw (requester)")
def withdraw(rfi_id: Id, actor: ActorDep, centre: CentreDep) -> RfiOut:
    return RfiOut.of(centre.rfis.withdraw(actor, rfi_id), centre.clock.now())

