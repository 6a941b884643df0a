"""Joint operations over HTTP: plan, propose, approve or reject, execute; synchronisation matrix."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Response
from pydantic import BaseModel, Field

from concord.api.deps import ActorDep, CentreDep
from concord.api.models import Id, MarkingIn, MarkingOut, NationCode, Strict, UtcDateTime, Version
from concord.api.read_audit import MarkedOut, api_router
from concord.clock import iso
from concord.domain.conflicts import ConflictStatus
from concord.domain.markings import Level, Marking
from concord.domain.operation_codec import plan_to_dict
from concord.domain.operation_lifecycle import Decision
from concord.domain.operations import (
    AltitudeBand,
    Force,
    Link,
    LinkKind,
    OperationPlan,
    OperationStatus,
    Phase,
    Task,
    TaskStatus,
    Window,
    area_from_geojson,
    operation_key,
)
from concord.domain.people import Actor
from concord.services.operations import OperationView

router = api_router(prefix="/api/operations", tags=["operations"])

GeoJson = Annotated[dict[str, Any], Field(description="GeoJSON geometry (RFC 7946), WGS84 longitude/latitude")]
Text = Annotated[str, Field(max_length=4000)]


class WindowIn(Strict):
    starts_at: UtcDateTime
    ends_at: UtcDateTime

    def to_window(self) -> Window:
        return Window(self.starts_at, self.ends_at)


class AltitudeIn(Strict):
    low_m: float
    high_m: float


class PhaseIn(Strict):
    name: Annotated[str, Field(max_length=120)]
    window: WindowIn
    area: GeoJson | None = None


class ForceIn(Strict):
    nation: NationCode
    name: Annotated[str, Field(max_length=200)]
    sidc: Annotated[str, Field(max_length=30, description="MIL-STD-2525C (15 chars) or 2525D/E (20 digits)")]
    phases: Annotated[list[Annotated[str, Field(max_length=120)]], Field(max_length=50)] = Field(default_factory=list)


class TaskIn(Strict):
    title: Annotated[str, Field(max_length=300)]
    owner_nation: NationCode
    due_at: UtcDateTime
    status: TaskStatus = TaskStatus.OPEN
    phase: Annotated[str, Field(max_length=120)] | None = None


class LinkIn(Strict):
    kind: LinkKind
    ref: Annotated[str, Field(max_length=200)]


class OperationIn(Strict):
    name: Annotated[str, Field(max_length=200)]
    objective: Text
    participants: Annotated[list[NationCode], Field(max_length=50)] = Field(default_factory=list)
    marking: MarkingIn | None = Field(None, description="default: RESTRICTED, releasable to the participants")
    area: GeoJson
    window: WindowIn
    altitude: AltitudeIn | None = None
    phases: Annotated[list[PhaseIn], Field(max_length=50)] = Field(default_factory=list)
    forces: Annotated[list[ForceIn], Field(max_length=500)] = Field(default_factory=list)
    tasks: Annotated[list[TaskIn], Field(max_length=1000)] = Field(default_factory=list)
    links: Annotated[list[LinkIn], Field(max_length=500)] = Field(default_factory=list)

    def to_plan(self, actor: Actor) -> OperationPlan:
        """Geometry is checked here (RFC 7946, field paths); every other rule by `check_plan`."""
        participants = tuple(self.participants)
        marking = (self.marking.to_marking(actor.nation) if self.marking is not None
                   else Marking.build(Level.RESTRICTED, actor.nation, participants))
        return OperationPlan(
            name=self.name, objective=self.objective, lead_nation=actor.nation, participants=participants,
            marking=marking, area=area_from_geojson(self.area, "area"), window=self.window.to_window(),
            altitude=AltitudeBand(self.altitude.low_m, self.altitude.high_m) if self.altitude else None,
            phases=tuple(Phase(p.name, p.window.to_window(),
                               area_from_geojson(p.area, f"phases[{i}].area") if p.area is not None else None)
                         for i, p in enumerate(self.phases)),
            forces=tuple(Force(f.nation, f.name, f.sidc, tuple(f.phases)) for f in self.forces),
            tasks=tuple(Task(t.title, t.owner_nation, t.due_at, t.status, t.phase) for t in self.tasks),
            links=tuple(Link(x.kind, x.ref) for x in self.links),
        )


class ApprovalOut(BaseModel):
    nation: str
    person_id: int
    version: int
    decision: Decision
    reason: str | None
    at: str


class OperationOut(MarkedOut):
    audit_type = "operation"

    id: int
    status: OperationStatus
    version: int
    marking: MarkingOut
    plan: dict[str, Any]
    approvals: list[ApprovalOut]
    pending_nations: list[str]
    blocking_conflicts: int
    updated_at: str

    @classmethod
    def of(cls, view: OperationView) -> OperationOut:
        op = view.operation
        return cls(id=op.id, status=op.status, version=op.version, marking=MarkingOut.of(op.plan.marking),
                   plan=plan_to_dict(op.plan),
                   approvals=[ApprovalOut(nation=a.nation, person_id=a.person_id, version=a.version,
                                          decision=a.decision, reason=a.reason, at=iso(a.at))
                              for a in view.approvals],
                   pending_nations=view.pending, blocking_conflicts=view.open_conflicts, updated_at=iso(op.updated_at))


class OperationSummary(MarkedOut):
    audit_type = "operation"

    id: int
    name: str
    status: OperationStatus
    version: int
    lead_nation: str
    participants: list[str]
    starts_at: str
    ends_at: str
    marking: MarkingOut


class ApproveIn(Strict):
    version: Version
    override_justification: Text | None = Field(
        None, description="record an override on every blocking conflict, for this version, with this reason")


class RejectIn(Strict):
    version: Version
    reason: Text


class CancelIn(Strict):
    reason: Text


OperationId = Id


@router.post("", status_code=201, response_model=OperationOut, summary="Plan an operation (a draft)")
def create_operation(body: OperationIn, actor: ActorDep, centre: CentreDep) -> OperationOut:
    return OperationOut.of(centre.operations.create(actor, body.to_plan(actor)))


@router.get("", response_model=list[OperationSummary], summary="Operations the caller may see")
def list_operations(actor: ActorDep, centre: CentreDep, status: OperationStatus | None = None,
                    limit: Annotated[int, Query(ge=1, le=500)] = 200,
                    offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> list[OperationSummary]:
    found = centre.operations.list_visible(actor, status, limit=limit, offset=offset)
    return [OperationSummary(id=op.id, name=op.plan.name, status=op.status, version=op.version,
                             lead_nation=op.plan.lead_nation, participants=list(op.plan.participants),
                             starts_at=iso(op.plan.window.starts_at), ends_at=iso(op.plan.window.ends_at),
                             marking=MarkingOut.of(op.plan.marking))
            for op in found]


@router.get("/{operation_id}", response_model=OperationOut, summary="One operation")
def get_operation(operation_id: OperationId, actor: ActorDep, centre: CentreDep) -> OperationOut:
    view = centre.operations.get(actor, operation_id)
    return OperationOut.of(view)


@router.put("/{operation_id}", response_model=OperationOut,
            summary="Replace the plan; after proposal a change to where/when/who is a new version")
def update_operation(operation_id: OperationId, body: OperationIn, actor: ActorDep, centre: CentreDep
                     ) -> OperationOut:
    return OperationOut.of(centre.operations.update(actor, operation_id, body.to_plan(actor)))


@router.post("/{operation_id}/propose", response_model=OperationOut, summary="Propose for approval")
def propose(operation_id: OperationId, actor: ActorDep, centre: CentreDep) -> OperationOut:
    return OperationOut.of(centre.operations.propose(actor, operation_id))


@router.post("/{operation_id}/approve", response_model=OperationOut,
             summary="A participating nation's commander approves this version")
def approve(operation_id: OperationId, body: ApproveIn, actor: ActorDep, centre: CentreDep) -> OperationOut:
    return OperationOut.of(centre.operations.decide(actor, operation_id, version=body.version,
                                                    decision=Decision.APPROVED,
                                                    override_justification=body.override_justification))


@router.post("/{operation_id}/reject", response_model=OperationOut,
             summary="A participating nation's commander rejects this version, with a reason")
def reject(operation_id: OperationId, body: RejectIn, actor: ActorDep, centre: CentreDep) -> OperationOut:
    return OperationOut.of(centre.operations.decide(actor, operation_id, version=body.version,
                                                    decision=Decision.REJECTED, reason=body.reason))


@router.post("/{operation_id}/activate", response_model=OperationOut, summary="Start an approved operation")
def activate(operation_id: OperationId, actor: ActorDep, centre: CentreDep) -> OperationOut:
    return OperationOut.of(centre.operations.activate(actor, operation_id))


@router.post("/{operation_id}/complete", response_model=OperationOut, summary="Complete an active operation")
def complete(operation_id: OperationId, actor: ActorDep, centre: CentreDep) -> OperationOut:
    return OperationOut.of(centre.operations.complete(actor, operation_id))


@router.post("/{operation_id}/cancel", response_model=OperationOut, summary="Cancel, with a reason")
def cancel(operation_id: OperationId, body: CancelIn, actor: ActorDep, centre: CentreDep) -> OperationOut:
    return OperationOut.of(centre.operations.cancel(actor, operation_id, body.reason))


class TaskStatusIn(Strict):
    status: TaskStatus


@router.post("/{operation_id}/tasks/{index}/status", response_model=OperationOut,
             summary="The owner nation reports a task's status (not a new version)")
def task_status(operation_id: OperationId, index: Annotated[int, Path(ge=0, le=10_000)], body: TaskStatusIn,
                actor: ActorDep, centre: CentreDep) -> OperationOut:
    return OperationOut.of(centre.operations.set_task_status(actor, operation_id, index, body.status))


@router.get("/{operation_id}/versions", summary="Every proposed version of the plan")
def versions(operation_id: OperationId, actor: ActorDep, centre: CentreDep) -> list[dict[str, Any]]:
    return [{**v, "created_at": iso(v["created_at"])} for v in centre.operations.versions(actor, operation_id)]


@router.get("/{operation_id}/conflicts", summary="Conflicts of this operation (restricted ones as warnings)")
def operation_conflicts(operation_id: OperationId, actor: ActorDep, centre: CentreDep,
                        status: ConflictStatus | None = None) -> list[dict[str, Any]]:
    centre.operations.get(actor, operation_id)   # NotFound unless the caller may see the operation
    return centre.conflicts.list_visible(actor, status=status, involving=operation_key(operation_id))


@router.get("/{operation_id}/deconfliction",
            summary="What the plan would conflict with now (nothing written; restricted items as warnings)")
def preview(operation_id: OperationId, actor: ActorDep, centre: CentreDep) -> list[dict[str, Any]]:
    return centre.operations.preview(actor, operation_id)


class DraftCheckIn(Strict):
    area: GeoJson
    window: WindowIn
    altitude: AltitudeIn | None = None
    operation_id: Id | None = Field(None, description="the operation being edited (it does not conflict with itself)")


class DraftOverlapOut(BaseModel):
    item: str
    kind: str
    name: str
    overlap: dict[str, Any]
    area_m2: float
    distance_m: float
    starts_at: str | None
    ends_at: str | None


@router.post("/deconfliction-preview", response_model=list[DraftOverlapOut],
             summary="What an unsaved area and window would overlap now (items the caller may see; nothing written)")
def preview_draft(body: DraftCheckIn, actor: ActorDep, centre: CentreDep) -> list[dict[str, Any]]:
    altitude = AltitudeBand(body.altitude.low_m, body.altitude.high_m) if body.altitude else None
    return centre.operations.preview_draft(actor, area_from_geojson(body.area, "area"), body.window.to_window(),
                                           altitude, operation_id=body.operation_id)


@router.get("/{operation_id}/sync-matrix", summary="Synchronisation matrix: phases x nations (JSON)")
def matrix(operation_id: OperationId, actor: ActorDep, centre: CentreDep) -> dict[str, Any]:
    return centre.operations.matrix(actor, operation_id)


@router.get("/{operation_id}/sync-matrix.csv", summary="Synchronisation matrix as CSV",
            response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def matrix_csv(operation_id: OperationId, actor: ActorDep, centre: CentreDep) -> Response:
    return Response(centre.operations.matrix_csv(actor, operation_id), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="operation-{operation_id}-sync.csv"'})
