"""Privileged requests awaiting a second person of the same nation (the two-person rule)."""

from __future__ import annotations

from pydantic import BaseModel

from concord.api.deps import ActorDep, CentreDep
from concord.api.models import Id
from concord.api.read_audit import api_router
from concord.clock import iso
from concord.storage.privileged_requests import RequestRow

router = api_router(prefix="/api", tags=["people"])


class PrivilegedRequestOut(BaseModel):
    id: int
    kind: str
    nation: str
    person_id: int
    role: str | None
    starts_at: str | None
    ends_at: str | None
    requested_by: int
    requested_at: str
    state: str
    decided_by: int | None
    decided_at: str | None
    appointment_id: int | None

    @classmethod
    def of(cls, row: RequestRow) -> PrivilegedRequestOut:
        return cls(id=row.id, kind=row.kind, nation=row.nation, person_id=row.person_id, role=row.role,
                   starts_at=iso(row.starts_at) if row.starts_at else None,
                   ends_at=iso(row.ends_at) if row.ends_at else None, requested_by=row.requested_by,
                   requested_at=iso(row.requested_at), state=row.state, decided_by=row.decided_by,
                   decided_at=iso(row.decided_at) if row.decided_at else None, appointment_id=row.appointment_id)


class ConfirmedOut(BaseModel):
    request: PrivilegedRequestOut
    password: str | None = None


@router.get("/privileged-requests", response_model=list[PrivilegedRequestOut],
            summary="Own nation's requests awaiting a second person (administrators, commander)")
def pending(actor: ActorDep, centre: CentreDep) -> list[PrivilegedRequestOut]:
    return [PrivilegedRequestOut.of(r) for r in centre.privileged.pending(actor)]


@router.post("/privileged-requests/{request_id}/confirm", response_model=ConfirmedOut,
             summary="Confirm as the second person (another administrator or the commander of the nation)")
def confirm(request_id: Id, actor: ActorDep, centre: CentreDep) -> ConfirmedOut:
    """A confirmed password reset answers with the new password, shown once, to the confirmer only."""
    settled = centre.privileged.confirm(actor, request_id)
    return ConfirmedOut(request=PrivilegedRequestOut.of(settled.request), password=settled.password)


@router.post("/privileged-requests/{request_id}/refuse", response_model=PrivilegedRequestOut,
             summary="Refuse (a second person) or withdraw (the one who asked)")
def refuse(request_id: Id, actor: ActorDep, centre: CentreDep) -> PrivilegedRequestOut:
    return PrivilegedRequestOut.of(centre.privileged.refuse(actor, request_id))
