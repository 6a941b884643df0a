"""Joint operations: planning, proposal, approval by every participating nation, execution.

Each public method is one unit of work; every change appends its event in the same transaction. An
operation the caller may not see is `NotFound`, exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection

from concord.clock import Clock, iso
from concord.domain.conflicts import RESTRICTED_OTHER_SIDE, Coarse, Conflict, Override, blocks, check_override
from concord.domain.deconfliction import Footprint
from concord.domain.errors import ConcordError, Forbidden, Invalid, NotFound, StateConflict
from concord.domain.geo import to_geojson
from concord.domain.operation_lifecycle import (
    Approval,
    Approver,
    Decision,
    check_approval_unblocked,
    check_decision,
    check_reason,
    check_transition,
    pending_nations,
    revise,
    status_after_decisions,
)
from concord.domain.operations import (
    DECONFLICTED,
    AltitudeBand,
    Operation,
    OperationPlan,
    OperationStatus,
    TaskStatus,
    Window,
    check_altitude,
    check_plan,
    check_window,
    operation_key,
)
from concord.domain.ownership import CHANGERS, Kind, require_decider, require_owner
from concord.domain.ownership import Decision as Deciding
from concord.domain.people import Actor, Role
from concord.domain.sync_matrix import sync_matrix, sync_matrix_csv
from concord.services.deconfliction import DeconflictionService
from concord.storage import conflicts as conflict_store
from concord.storage import federation as federation_store
from concord.storage import nations as nation_store
from concord.storage import operations as store
from concord.storage.db import Database, Tx
from concord.storage.events import append_event, narrow_history

S = OperationStatus
#: The key an unsaved plan is checked under: no stored item has it, so nothing is left out as "itself".
DRAFT_KEY = "draft:new"


@dataclass(frozen=True, slots=True)
class OperationView:
    operation: Operation
    approvals: list[Approval]
    pending: list[str]
    open_conflicts: int


def approver_of(actor: Actor) -> Approver:
    # Actor.roles holds only the appointments current at this request, for the actor's own nation.
    return Approver(actor.person_id, actor.nation, actor.has(Role.COMMANDER))


class OperationService:
    def __init__(self, db: Database, clock: Clock, deconfliction: DeconflictionService) -> None:
        self.db = db
        self.clock = clock
        self.deconfliction = deconfliction

    # ---------------------------------------------------------------- helpers

    def _load(self, tx: Tx, actor: Actor, operation_id: int) -> Operation:
        row = store.get_visible(tx.conn, actor.reader, operation_id, for_update=True)
        if row is None:
            raise NotFound(f"no operation {operation_id}", field="operation_id")
        return row.operation

    @staticmethod
    def _require_home(tx: Tx, op: Operation, action: str) -> None:
        """A copy received from a peer node is changed only on its originator's node (docs/federation.md)."""
        if federation_store.origin_node(tx.conn, "operation", op.id) is not None:
            raise Forbidden(f"this operation came from {op.plan.lead_nation}'s node: {action} there",
                            field="operation_id")

    def _event(self, tx: Tx, actor: Actor, op: Operation, kind: str, **payload: Any) -> None:
        append_event(tx, at=self.clock.now(), kind=kind, item_type="operation", item_id=op.id,
                     marking=op.plan.marking, actor_id=actor.person_id, actor_nation=actor.nation,
                     payload={"name": op.plan.name, "status": op.status.value, "version": op.version, **payload})

    def _reconcile(self, tx: Tx, actor: Actor, op: Operation, reason: str) -> list[int]:
        footprint = op.plan.footprint(op.key, self.deconfliction.standoff_m) if op.status in DECONFLICTED else None
        return self.deconfliction.reconcile_in(tx, op.key, footprint, actor, reason)

    @staticmethod
    def _blocking(conn: Connection, op: Operation) -> list[Conflict]:
        """Unresolved conflicts of `op` that some concerned nation has not cleared yet."""
        return [c for c in conflict_store.unresolved_involving(conn, op.key)
                if blocks(c, op, conflict_store.concern(conn, c), conflict_store.resolved_by(conn, c.id))]

    def _view(self, tx: Tx | Connection, op: Operation) -> OperationView:
        conn = tx.conn if isinstance(tx, Tx) else tx
        approvals = store.approvals_of(conn, op.id)
        return OperationView(op, approvals, pending_nations(op, approvals) if op.status == S.PROPOSED else [],
                             len(self._blocking(conn, op)))

    # ---------------------------------------------------------------- planning

    def create(self, actor: Actor, plan: OperationPlan) -> OperationView:
        actor.require(*CHANGERS[Kind.OPERATION], action="planning an operation")
        with self.db.write() as tx:
            if plan.lead_nation != actor.nation:
                raise Invalid("an operation is led by the planner's own nation", field="lead_nation")
            plan = check_plan(plan, [n.code for n in nation_store.list_nations(tx.conn)])
            now = self.clock.now()
            operation_id = store.add_operation(tx.conn, plan, created_by=actor.person_id, at=now)
            op = Operation(operation_id, plan, S.DRAFT, 1, actor.person_id, now)
            self._event(tx, actor, op, "operation.created")
            return self._view(tx, op)

    def update(self, actor: Actor, operation_id: int, plan: OperationPlan) -> OperationView:
        """Replace the plan. After proposal any change to what is approved is a new version that voids
        every earlier approval (`domain.operation_lifecycle.revise`)."""
        with self.db.write() as tx:
            op = self._load(tx, actor, operation_id)
            require_owner(actor, op.plan.lead_nation, Kind.OPERATION, action="change it")
            self._require_home(tx, op, "change it")
            plan = check_plan(plan, [n.code for n in nation_store.list_nations(tx.conn)])
            revision = revise(op, plan, actor.nation)
            now = self.clock.now()
            store.save_plan(tx.conn, op.id, plan, status=revision.status, version=revision.version, at=now)
            changed = Operation(op.id, plan, revision.status, revision.version, op.created_by, now)
            if revision.voids_approvals:
                store.add_version(tx.conn, op.id, revision.version, plan, actor.person_id, now)
                voided = [a for a in store.approvals_of(tx.conn, op.id) if a.version == op.version]
                # Told to everyone involved: the event carries the operation's marking, which every
                # participating nation is in (check_plan insists).
                self._event(tx, actor, changed, "operation.approvals_voided", previous_version=op.version,
                            voided_nations=sorted({a.nation for a in voided}),
                            voided_people=sorted({a.person_id for a in voided}),
                            participants=list(plan.participants))
            self._event(tx, actor, changed, "operation.updated", material=revision.version != op.version)
            if plan.marking != op.plan.marking:
                narrow_history(tx.conn, plan.marking, item_type="operation", item_id=op.id, mentioned_as=op.key,
                               mentioned_in=("conflict",))
            if changed.status in DECONFLICTED and plan.material() != op.plan.material():
                self._reconcile(tx, actor, changed, f"no longer overlapping after version {changed.version}")
            return self._view(tx, changed)

    def propose(self, actor: Actor, operation_id: int) -> OperationView:
        with self.db.write() as tx:
            op = self._load(tx, actor, operation_id)
            require_owner(actor, op.plan.lead_nation, Kind.OPERATION, action="propose it")
            self._require_home(tx, op, "propose it")
            check_transition(op, S.PROPOSED)
            now = self.clock.now()
            store.set_status(tx.conn, op.id, S.PROPOSED, now)
            store.add_version(tx.conn, op.id, op.version, op.plan, actor.person_id, now)
            proposed = Operation(op.id, op.plan, S.PROPOSED, op.version, op.created_by, now)
            self._event(tx, actor, proposed, "operation.proposed", participants=list(op.plan.participants))
            self._reconcile(tx, actor, proposed, "no longer overlapping")
            return self._view(tx, proposed)

    def set_task_status(self, actor: Actor, operation_id: int, index: int, status: TaskStatus) -> OperationView:
        """The task's owner nation (or the lead nation) reports progress; not a new version."""
        with self.db.write() as tx:
            op = self._load(tx, actor, operation_id)
            self._require_home(tx, op, "report on its tasks")
            if not 0 <= index < len(op.plan.tasks):
                raise NotFound(f"no task {index} in operation {operation_id}", field="index")
            task = op.plan.tasks[index]
            if actor.nation not in (task.owner_nation, op.plan.lead_nation):
                raise Forbidden("only the task's owner nation or the lead nation reports on a task")
            actor.require(*CHANGERS[Kind.OPERATION], Role.WATCH_OFFICER, action="reporting on a task")
            if op.status not in (S.DRAFT, S.PROPOSED, S.APPROVED, S.ACTIVE):
                raise StateConflict(f"a {op.status.value} operation's tasks do not change", field="status")
            tasks = list(op.plan.tasks)
            tasks[index] = replace(task, status=status)
            plan = replace(op.plan, tasks=tuple(tasks))
            now = self.clock.now()
            store.save_plan(tx.conn, op.id, plan, status=op.status, version=op.version, at=now)
            changed = Operation(op.id, plan, op.status, op.version, op.created_by, now)
            self._event(tx, actor, changed, "operation.task_updated", task=index, title=task.title,
                        task_status=status.value)
            return self._view(tx, changed)

    # ---------------------------------------------------------------- decisions

    def decide(self, actor: Actor, operation_id: int, *, version: int, decision: Decision,
               reason: str | None = None, override_justification: str | None = None) -> OperationView:
        """A participating nation's commander approves or rejects this version.

        Approval is refused while a conflict stands that some nation concerned has not cleared
        (`domain.conflicts.blocks`). With `override_justification`, this nation's override is recorded
        first on each such conflict, for this version; the overrides stay recorded even when the
        approval must still wait for the other nations concerned to clear the conflict.
        """
        refused: ConcordError | None = None
        with self.db.write() as tx:
            op = self._load(tx, actor, operation_id)
            approver = approver_of(actor)
            reason = check_decision(op, approver, version, decision, reason)
            require_decider(actor, op.plan.participants, Deciding.APPROVAL, action="deciding for a nation")
            if federation_store.has_node_for(tx.conn, actor.nation):
                # That nation decides on its own node, which carries the decision here signed (docs/federation.md).
                raise Forbidden(f"{actor.nation} decides on its own node; the decision comes here from there",
                                field="nation")
            now = self.clock.now()
            if decision == Decision.APPROVED:
                blocking = self._blocking(tx.conn, op)
                if blocking and override_justification is not None:
                    for conflict in blocking:
                        if not any(o.nation == actor.nation and o.operation_key == op.key and o.version == op.version
                                   for o in conflict.overrides):
                            text = check_override(conflict, op, approver, override_justification)
                            self._record_override(tx, actor, op, conflict.id, text)
                    blocking = self._blocking(tx.conn, op)
                try:
                    check_approval_unblocked([c.id for c in blocking])
                except ConcordError as exc:
                    if override_justification is None:
                        raise
                    refused = exc  # the overrides just recorded are kept: commit them, then refuse
            if refused is None:
                return self._record_decision(tx, actor, op, decision, reason, now)
        raise refused

    def _record_decision(self, tx: Tx, actor: Actor, op: Operation, decision: Decision, reason: str | None,
                         now: datetime) -> OperationView:
        approval = Approval(actor.nation, actor.person_id, op.version, decision, reason, now)
        store.add_approval(tx.conn, op.id, approval)
        self._event(tx, actor, op, f"operation.{decision.value}_by_nation", nation=actor.nation,
                    reason=reason)
        status = status_after_decisions(op, store.approvals_of(tx.conn, op.id))
        if status != op.status and federation_store.origin_node(tx.conn, "operation", op.id) is None:
            # A copy's status is its originator node's to change: it follows there, and comes back.
            store.set_status(tx.conn, op.id, status, now)
            op = Operation(op.id, op.plan, status, op.version, op.created_by, now)
            self._event(tx, actor, op, f"operation.{status.value}")
        return self._view(tx, op)

    def _record_override(self, tx: Tx, actor: Actor, op: Operation, conflict_id: int, justification: str) -> None:
        now = self.clock.now()
        conflict_store.add_override(tx.conn, conflict_id, Override(op.key, op.version, actor.person_id, actor.nation,
                                                                    justification, now))
        append_event(tx, at=now, kind="conflict.overridden", item_type="conflict", item_id=conflict_id,
                     marking=op.plan.marking, actor_id=actor.person_id, actor_nation=actor.nation,
                     payload={"conflict_id": conflict_id, "your_item": op.key, "version": op.version,
                              "justification": justification})

    def override(self, actor: Actor, conflict_id: int, operation_id: int, justification: str | None) -> None:
        """A commander of a participating nation overrides a conflict for the operation's current version,
        for their own nation only (the other nations concerned clear it for themselves)."""
        with self.db.write() as tx:
            op = self._load(tx, actor, operation_id)
            views = conflict_store.for_reader(tx.conn, actor.reader, conflict_id=conflict_id)
            if not views:
                raise NotFound(f"no conflict {conflict_id}", field="conflict_id")
            text = check_override(views[0].conflict, op, approver_of(actor), justification)
            self._record_override(tx, actor, op, conflict_id, text)

    # ---------------------------------------------------------------- execution

    def _step(self, actor: Actor, operation_id: int, target: OperationStatus, action: str,
              reason: str | None = None) -> OperationView:
        with self.db.write() as tx:
            op = self._load(tx, actor, operation_id)
            require_owner(actor, op.plan.lead_nation, Kind.OPERATION, action=f"{action} it")
            self._require_home(tx, op, f"{action} it")
            check_transition(op, target)
            if target == S.CANCELLED:
                reason = check_reason(reason)
            now = self.clock.now()
            store.set_status(tx.conn, op.id, target, now)
            changed = Operation(op.id, op.plan, target, op.version, op.created_by, now)
            self._event(tx, actor, changed, f"operation.{target.value}", reason=reason)
            if target not in DECONFLICTED:
                self._reconcile(tx, actor, changed, f"the operation is {target.value}")
            return self._view(tx, changed)

    def activate(self, actor: Actor, operation_id: int) -> OperationView:
        return self._step(actor, operation_id, S.ACTIVE, "activate")

    def complete(self, actor: Actor, operation_id: int) -> OperationView:
        return self._step(actor, operation_id, S.COMPLETED, "complete")

    def cancel(self, actor: Actor, operation_id: int, reason: str | None) -> OperationView:
        return self._step(actor, operation_id, S.CANCELLED, "cancel", reason)

    # ---------------------------------------------------------------- reads

    def get(self, actor: Actor, operation_id: int) -> OperationView:
        with self.db.read() as conn:
            row = store.get_visible(conn, actor.reader, operation_id)
            if row is None:
                raise NotFound(f"no operation {operation_id}", field="operation_id")
            return self._view(conn, row.operation)

    def list_visible(self, actor: Actor, status: OperationStatus | None = None, *, limit: int = 200,
             offset: int = 0) -> list[Operation]:
        with self.db.read() as conn:
            return [r.operation for r in store.list_visible(conn, actor.reader, status=status, limit=limit,
                                                            offset=offset)]

    def versions(self, actor: Actor, operation_id: int) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            if store.get_visible(conn, actor.reader, operation_id) is None:
                raise NotFound(f"no operation {operation_id}", field="operation_id")
            return store.versions_of(conn, operation_id)

    def preview(self, actor: Actor, operation_id: int) -> list[dict[str, Any]]:
        """What the plan would conflict with now, written nowhere (a draft is checked before proposal).

        Items the caller may see are named; others appear only as a restricted warning.
        """
        with self.db.read() as conn:
            row = store.get_visible(conn, actor.reader, operation_id)
            if row is None:
                raise NotFound(f"no operation {operation_id}", field="operation_id")
            op = row.operation
            self.deconfliction.catch_up(conn)
            overlaps = self.deconfliction.engine.check(op.plan.footprint(op.key, self.deconfliction.standoff_m))
            visible = conflict_store.visible_keys(conn, actor.reader, [o.key for o in overlaps])
            out: list[dict[str, Any]] = []
            for o in overlaps:
                # A hidden side is told only coarsely (see `Coarse`): a saved plan can probe too.
                where = o if o.key in visible else Coarse.of(o.geometry, o.starts_at, o.ends_at)
                item: dict[str, Any] = {
                    "overlap": to_geojson(where.geometry), "area_m2": round(where.area_m2, 1),
                    "starts_at": iso(where.starts_at) if where.starts_at else None,
                    "ends_at": iso(where.ends_at) if where.ends_at else None,
                }
                if o.key in visible:
                    item |= {"item": o.key, "name": conflict_store.side_name(conn, o.key), "restricted": False}
                else:
                    item |= {"other_side": RESTRICTED_OTHER_SIDE, "contact": self.deconfliction.contact,
                             "restricted": True}
                out.append(item)
            return out

    def preview_draft(self, actor: Actor, area: BaseGeometry, window: Window, altitude: AltitudeBand | None,
                      *, operation_id: int | None = None) -> list[dict[str, Any]]:
        """What an unsaved plan's area and window would overlap now, for the editor while it draws.

        Unlike `preview` (a saved plan, whose warnings the proposal will raise anyway), any shape can be
        probed here, so only items the caller may see are answered: a hidden item answers as an absent
        one (otherwise a probe could trace its outline). `operation_id` is the plan being edited, which
        must not meet itself. Nothing is written.
        """
        actor.require(*CHANGERS[Kind.OPERATION], action="planning an operation")
        window = check_window(window, "window")
        altitude = check_altitude(altitude, "altitude")
        with self.db.read() as conn:
            key = DRAFT_KEY
            if operation_id is not None:
                if store.get_visible(conn, actor.reader, operation_id) is None:
                    raise NotFound(f"no operation {operation_id}", field="operation_id")
                key = operation_key(operation_id)
            band = (altitude.low_m, altitude.high_m) if altitude else None
            footprint = Footprint(key, area, self.deconfliction.standoff_m, window.starts_at, window.ends_at, band)
            self.deconfliction.catch_up(conn)
            overlaps = self.deconfliction.engine.check(footprint)
            visible = conflict_store.visible_keys(conn, actor.reader, [o.key for o in overlaps])
            return [{"item": o.key, "kind": o.key.split(":", 1)[0], "name": conflict_store.side_name(conn, o.key),
                     "overlap": to_geojson(o.geometry), "area_m2": round(o.area_m2, 1),
                     "distance_m": round(o.distance_m, 1),
                     "starts_at": iso(o.starts_at) if o.starts_at else None,
                     "ends_at": iso(o.ends_at) if o.ends_at else None}
                    for o in overlaps if o.key in visible]

    def matrix(self, actor: Actor, operation_id: int) -> dict[str, Any]:
        with self.db.read() as conn:
            row = store.get_visible(conn, actor.reader, operation_id)
            if row is None:
                raise NotFound(f"no operation {operation_id}", field="operation_id")
            return sync_matrix(row.operation.plan)

    def matrix_csv(self, actor: Actor, operation_id: int) -> str:
        return sync_matrix_csv(self.matrix(actor, operation_id))

