"""An operation's lifecycle and the approval rules: national command is never given up.

    draft ──propose──▶ proposed ──(every participating nation approved this version)──▶ approved
                          ▲  │                                                            │
                          └──┴──────────── any change to what is approved ◀──────────────┘
                                 (new version; every approval of the earlier version void)
    approved ──activate──▶ active ──complete──▶ completed;   any of them ──cancel──▶ cancelled

* Only the lead nation edits, proposes, activates, completes or cancels.
* **Approvals bind content** (`revise` is the one place of this rule): an approval is given for one
  version, and a version's content never changes. Any change to what is approved (`approved_content`:
  the whole plan and its marking; only the progress of tasks is not part of it) of a proposed or
  approved operation makes a new version, back to proposed, and so voids every approval of the
  version before, whichever nation gave it. A draft has no approvals and changes in place; an active
  operation's approved content does not change at all (complete or cancel it and plan anew). The
  version history (`operation_versions`) is written once per version and never rewritten.
* Only a person holding a *current* commander appointment for a participating nation decides for
  that nation, and only on the current version (a stale version is refused, not applied).
* A rejection carries a reason. A nation may change its decision while the operation is proposed;
  its latest decision on the current version counts.
* An unresolved conflict (open or acknowledged) blocks approval until every nation it concerns has
  cleared it, each for itself (`concord.domain.conflicts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from concord.domain.errors import Forbidden, Invalid, StateConflict
from concord.domain.operation_codec import plan_to_dict
from concord.domain.operations import Operation, OperationPlan, OperationStatus, TaskStatus

S = OperationStatus

TRANSITIONS: dict[OperationStatus, frozenset[OperationStatus]] = {
    S.DRAFT: frozenset({S.PROPOSED, S.CANCELLED}),
    S.PROPOSED: frozenset({S.APPROVED, S.CANCELLED}),
    S.APPROVED: frozenset({S.PROPOSED, S.ACTIVE, S.CANCELLED}),
    S.ACTIVE: frozenset({S.COMPLETED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}
#: Statuses in which the plan may change at all, and those where any change to it is a new version.
EDITABLE = frozenset({S.DRAFT, S.PROPOSED, S.APPROVED, S.ACTIVE})
REVERSIONED = frozenset({S.PROPOSED, S.APPROVED})
MIN_JUSTIFICATION = 10


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Approver:
    """Who decides: built from the signed-in person at the moment of the decision."""

    person_id: int
    nation: str
    is_commander: bool  # holds a commander appointment for `nation` that is current now


@dataclass(frozen=True, slots=True)
class Approval:
    nation: str
    person_id: int
    version: int
    decision: Decision
    reason: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Revision:
    """What a change to the plan does to the operation."""

    version: int
    status: OperationStatus
    voids_approvals: bool


def require_lead(op: Operation, actor_nation: str, action: str) -> None:
    if actor_nation != op.plan.lead_nation:
        raise Forbidden(f"only the lead nation ({op.plan.lead_nation}) may {action} this operation")


def check_transition(op: Operation, target: OperationStatus) -> None:
    if target not in TRANSITIONS[op.status]:
        raise StateConflict(
            f"an operation that is {op.status.value} cannot become {target.value}",
            field="status",
            details={"status": op.status.value},
        )


def approved_content(plan: OperationPlan) -> tuple[dict[str, Any], dict[str, object]]:
    """What an approval is given for: the whole plan and its marking, but not the progress of tasks
    (reported by the nations doing them while the approved plan stands)."""
    tasks = tuple(replace(t, status=TaskStatus.OPEN) for t in plan.tasks)
    return plan_to_dict(replace(plan, tasks=tasks)), plan.marking.to_dict()


def revise(op: Operation, new_plan: OperationPlan, actor_nation: str) -> Revision:
    """The effect of replacing `op`'s plan by `new_plan` (already checked by `check_plan`): the
    version/approval rule of this module's docstring."""
    require_lead(op, actor_nation, "change")
    if new_plan.lead_nation != op.plan.lead_nation:
        raise Invalid("the lead nation of an operation does not change", field="lead_nation")
    if op.status not in EDITABLE:
        raise StateConflict(f"a {op.status.value} operation cannot change", field="status")
    if approved_content(new_plan) == approved_content(op.plan):
        return Revision(op.version, op.status, voids_approvals=False)
    if op.status == S.ACTIVE:
        raise StateConflict(
            "an active operation's approved plan cannot change; complete or cancel it and plan anew",
            field="status",
        )
    if op.status in REVERSIONED:
        return Revision(op.version + 1, S.PROPOSED, voids_approvals=True)
    return Revision(op.version, op.status, voids_approvals=False)


def check_decision(
    op: Operation, approver: Approver, version: int, decision: Decision, reason: str | None
) -> str | None:
    """Check that `approver` may record `decision` on `version`; return the normalised reason."""
    if op.status != S.PROPOSED:
        raise StateConflict(
            f"only a proposed operation is approved or rejected; this one is {op.status.value}",
            field="status",
        )
    if version != op.version:
        raise StateConflict(
            f"version {version} is stale: the operation is at version {op.version}",
            field="version",
            details={"current_version": op.version},
        )
    if approver.nation not in op.plan.participants:
        raise Forbidden(f"{approver.nation} does not take part in this operation", field="nation")
    if not approver.is_commander:
        raise Forbidden("a decision for a nation needs a current commander appointment for that nation")
    reason = (reason or "").strip() or None
    if decision == Decision.REJECTED and reason is None:
        raise Invalid("a rejection carries a reason", field="reason")
    if reason is not None and len(reason) > 4000:
        raise Invalid("a reason has at most 4000 characters", field="reason")
    return reason


def check_approval_unblocked(blocking_conflicts: Sequence[int]) -> None:
    """Raise unless no conflict that a concerned nation has not cleared stands in the way of approving."""
    if blocking_conflicts:
        ids = ", ".join(str(c) for c in blocking_conflicts)
        raise StateConflict(
            f"conflicts {ids} block approval until every nation concerned has cleared them: each nation "
            "resolves a conflict, or has a commander record an override with a justification, for itself",
            field="conflicts",
            details={"conflicts": list(blocking_conflicts)},
        )


def current_decisions(op: Operation, approvals: Iterable[Approval]) -> dict[str, Approval]:
    """Each participating nation's latest decision on the current version."""
    latest: dict[str, Approval] = {}
    for approval in sorted(approvals, key=lambda a: a.at):
        if approval.version == op.version and approval.nation in op.plan.participants:
            latest[approval.nation] = approval
    return latest


def status_after_decisions(op: Operation, approvals: Iterable[Approval]) -> OperationStatus:
    """`approved` once every participating nation's latest decision on this version is yes."""
    decisions = current_decisions(op, approvals)
    if op.status == S.PROPOSED and all(
        n in decisions and decisions[n].decision == Decision.APPROVED for n in op.plan.participants
    ):
        return S.APPROVED
    return op.status


def pending_nations(op: Operation, approvals: Iterable[Approval]) -> list[str]:
    decisions = current_decisions(op, approvals)
    return [
        n for n in op.plan.participants if n not in decisions or decisions[n].decision != Decision.APPROVED
    ]


def check_justification(justification: str | None) -> str:
    text = (justification or "").strip()
    if len(text) < MIN_JUSTIFICATION:
        raise Invalid(
            f"an override is justified in at least {MIN_JUSTIFICATION} characters", field="justification"
        )
    if len(text) > 4000:
        raise Invalid("a justification has at most 4000 characters", field="justification")
    return text


def check_reason(reason: str | None, field: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise Invalid("a reason is required", field=field)
    if len(text) > 4000:
        raise Invalid("a reason has at most 4000 characters", field=field)
    return text
