"""Every lifecycle rule: who may do what, on which version, and what voids approvals."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import shapely

from concord.domain.errors import Forbidden, Invalid, StateConflict
from concord.domain.operation_lifecycle import (
    TRANSITIONS,
    Approval,
    Approver,
    Decision,
    check_approval_unblocked,
    check_decision,
    check_justification,
    check_transition,
    current_decisions,
    pending_nations,
    require_lead,
    revise,
    status_after_decisions,
)
from concord.domain.operations import OperationStatus as S
from concord.domain.operations import TaskStatus
from tests.unit.domain.factories import T0, operation, plan, window

TUR_GENERAL = Approver(10, "TUR", is_commander=True)
IRQ_GENERAL = Approver(20, "IRQ", is_commander=True)
IRQ_LIAISON = Approver(21, "IRQ", is_commander=False)
JOR_GENERAL = Approver(30, "JOR", is_commander=True)


def approval(
    nation: str, decision: Decision = Decision.APPROVED, version: int = 1, minutes: int = 0
) -> Approval:
    return Approval(
        nation,
        1,
        version,
        decision,
        None if decision == Decision.APPROVED else "no",
        T0 + timedelta(minutes=minutes),
    )


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_transitions_follow_the_table(current: S, target: S) -> None:
    op = operation(current)
    if target in TRANSITIONS[current]:
        check_transition(op, target)
    else:
        with pytest.raises(StateConflict):
            check_transition(op, target)


def test_terminal_states_go_nowhere() -> None:
    assert TRANSITIONS[S.COMPLETED] == frozenset() and TRANSITIONS[S.CANCELLED] == frozenset()
    assert S.APPROVED not in TRANSITIONS[S.DRAFT]  # no approval without a proposal
    assert S.ACTIVE not in TRANSITIONS[S.PROPOSED]  # no activation without approval


def test_only_the_lead_nation_runs_the_operation() -> None:
    require_lead(operation(), "TUR", "propose")
    with pytest.raises(Forbidden):
        require_lead(operation(), "IRQ", "propose")


def test_approval_needs_every_participating_nation_on_this_version() -> None:
    op = operation()
    assert status_after_decisions(op, [approval("TUR")]) == S.PROPOSED
    assert pending_nations(op, [approval("TUR")]) == ["IRQ"]
    assert status_after_decisions(op, [approval("TUR"), approval("IRQ")]) == S.APPROVED
    # Approvals of an earlier version do not count.
    op2 = operation(version=2)
    assert status_after_decisions(op2, [approval("TUR"), approval("IRQ")]) == S.PROPOSED
    assert status_after_decisions(op2, [approval("TUR", version=2), approval("IRQ")]) == S.PROPOSED


def test_never_assume_two_nations() -> None:
    op = operation(
        participants=("IRQ", "JOR", "TUR"), marking=plan().marking.build("RESTRICTED", "TUR", ["IRQ", "JOR"])
    )
    two = [approval("TUR"), approval("IRQ")]
    assert status_after_decisions(op, two) == S.PROPOSED
    assert status_after_decisions(op, [*two, approval("JOR")]) == S.APPROVED


def test_a_nations_latest_decision_counts() -> None:
    op = operation()
    history = [approval("TUR"), approval("IRQ", Decision.REJECTED, minutes=1), approval("IRQ", minutes=2)]
    assert status_after_decisions(op, history) == S.APPROVED
    flipped = [approval("TUR"), approval("IRQ", minutes=1), approval("IRQ", Decision.REJECTED, minutes=2)]
    assert status_after_decisions(op, flipped) == S.PROPOSED
    assert current_decisions(op, flipped)["IRQ"].decision == Decision.REJECTED


def test_decisions_by_whom_and_on_what() -> None:
    op = operation()
    assert check_decision(op, IRQ_GENERAL, 1, Decision.APPROVED, None) is None
    with pytest.raises(Forbidden, match="commander"):
        check_decision(op, IRQ_LIAISON, 1, Decision.APPROVED, None)
    with pytest.raises(Forbidden, match="does not take part"):
        check_decision(op, JOR_GENERAL, 1, Decision.APPROVED, None)
    with pytest.raises(StateConflict) as stale:
        check_decision(operation(version=3), IRQ_GENERAL, 2, Decision.APPROVED, None)
    assert stale.value.field == "version" and stale.value.details["current_version"] == 3
    for status in (S.DRAFT, S.APPROVED, S.ACTIVE, S.COMPLETED, S.CANCELLED):
        with pytest.raises(StateConflict):
            check_decision(operation(status), IRQ_GENERAL, 1, Decision.APPROVED, None)


def test_a_rejection_carries_a_reason() -> None:
    op = operation()
    with pytest.raises(Invalid) as caught:
        check_decision(op, IRQ_GENERAL, 1, Decision.REJECTED, "   ")
    assert caught.value.field == "reason"
    assert (
        check_decision(op, IRQ_GENERAL, 1, Decision.REJECTED, " Civilians on the road ")
        == "Civilians on the road"
    )


def test_any_change_after_proposal_makes_a_new_version_and_voids_approvals() -> None:
    for status in (S.PROPOSED, S.APPROVED):
        op = operation(status, version=2)
        for changed in (
            replace(op.plan, area=shapely.box(43.0, 36.0, 43.3, 36.2)),
            replace(op.plan, window=window(1, 48)),
            replace(op.plan, phases=op.plan.phases[:1]),
            replace(op.plan, participants=("IRQ", "JOR", "TUR")),
            replace(op.plan, objective="Reworded"),  # approvals bind content, not only where and when
            replace(op.plan, tasks=()),
            replace(op.plan, marking=replace(op.plan.marking, releasable_to=frozenset({"TUR"}))),
        ):
            revision = revise(op, changed, "TUR")
            assert (revision.version, revision.status, revision.voids_approvals) == (3, S.PROPOSED, True)


def test_the_same_content_and_task_progress_keep_the_version_and_the_approvals() -> None:
    op = operation(S.APPROVED, version=2)
    revision = revise(op, replace(op.plan), "TUR")
    assert (revision.version, revision.status, revision.voids_approvals) == (2, S.APPROVED, False)
    progressed = tuple(replace(t, status=TaskStatus.DONE) for t in op.plan.tasks)
    assert op.plan.tasks and revise(op, replace(op.plan, tasks=progressed), "TUR").version == 2


def test_a_draft_changes_freely() -> None:
    op = operation(S.DRAFT)
    revision = revise(op, replace(op.plan, area=shapely.box(43.0, 36.0, 43.3, 36.2)), "TUR")
    assert (revision.version, revision.status, revision.voids_approvals) == (1, S.DRAFT, False)


def test_what_cannot_change() -> None:
    op = operation(S.ACTIVE)
    for changed in (replace(op.plan, objective="Reworded"), replace(op.plan, window=window(0, 72))):
        with pytest.raises(StateConflict):
            revise(op, changed, "TUR")
    for status in (S.COMPLETED, S.CANCELLED):
        with pytest.raises(StateConflict):
            revise(operation(status), replace(plan(), objective="x"), "TUR")
    with pytest.raises(Forbidden):
        revise(operation(), plan(), "IRQ")
    with pytest.raises(Invalid) as caught:
        revise(operation(), replace(plan(), lead_nation="IRQ"), "TUR")
    assert caught.value.field == "lead_nation"


def test_open_conflicts_block_approval() -> None:
    check_approval_unblocked([])
    with pytest.raises(StateConflict) as caught:
        check_approval_unblocked([4, 9])
    assert caught.value.details["conflicts"] == [4, 9]


def test_justifications_are_real_sentences() -> None:
    with pytest.raises(Invalid) as caught:
        check_justification("ok")
    assert caught.value.field == "justification"
    assert (
        check_justification("  Site evacuated, confirmed by liaison  ")
        == "Site evacuated, confirmed by liaison"
    )
