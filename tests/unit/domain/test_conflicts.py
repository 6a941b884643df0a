"""Conflict steps, overrides per version, and the warning that leaks nothing."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import shapely

from concord.domain.conflicts import (
    RESTRICTED_OTHER_SIDE,
    Concern,
    Conflict,
    ConflictStatus,
    Override,
    awaiting,
    blocks,
    check_override,
    check_resolution,
    check_step,
    cleared_by,
    status_after_resolution,
    warning_for,
)
from concord.domain.errors import Forbidden, Invalid, StateConflict
from concord.domain.operation_lifecycle import Approver
from tests.unit.domain.factories import T0, operation

C = ConflictStatus
IRQ_GENERAL = Approver(20, "IRQ", is_commander=True)


def conflict(status: C = C.OPEN, overrides: tuple[Override, ...] = ()) -> Conflict:
    return Conflict(
        7,
        "operation:1",
        "operation:2",
        status,
        shapely.box(43.1, 36.1, 43.12, 36.11),
        2_000_000.0,
        T0,
        T0,
        overrides,
    )


def test_steps_need_a_note_and_go_forward() -> None:
    assert check_step(conflict(), C.ACKNOWLEDGED, " seen ") == "seen"
    assert check_step(conflict(), C.RESOLVED, "moved the patrol") == "moved the patrol"
    assert check_step(conflict(C.ACKNOWLEDGED), C.RESOLVED, "done") == "done"
    with pytest.raises(Invalid) as caught:
        check_step(conflict(), C.ACKNOWLEDGED, "")
    assert caught.value.field == "note"
    for status, target in (
        (C.RESOLVED, C.OPEN),
        (C.RESOLVED, C.ACKNOWLEDGED),
        (C.ACKNOWLEDGED, C.ACKNOWLEDGED),
    ):
        with pytest.raises(StateConflict):
            check_step(conflict(status), target, "x")


def test_a_conflict_blocks_until_every_concerned_nation_has_cleared_it() -> None:
    op = operation(version=2)
    concern = Concern(frozenset({"IRQ", "TUR"}), {"operation:1": 2, "operation:2": 1})
    nobody: frozenset[str] = frozenset()
    assert blocks(conflict(), op, concern, nobody) and blocks(conflict(C.ACKNOWLEDGED), op, concern, nobody)
    assert not blocks(conflict(C.RESOLVED), op, concern, nobody)
    assert not blocks(conflict(), operation(op_id=3), concern, nobody)  # not about that operation
    old = Override("operation:1", 1, 20, "IRQ", "justified at version one", T0)
    assert awaiting(conflict(overrides=(old,)), concern, nobody) == {"IRQ", "TUR"}  # a new version needs a new one
    irq = replace(old, version=2)
    # IRQ's override clears it for IRQ only: TUR's approval (and so the operation's) still waits.
    assert awaiting(conflict(overrides=(irq,)), concern, nobody) == {"TUR"}
    assert blocks(conflict(overrides=(irq,)), op, concern, nobody)
    # TUR clears it by resolving for itself (or by its own override for its operation's current version).
    assert not blocks(conflict(overrides=(irq,)), op, concern, frozenset({"TUR"}))
    tur = Override("operation:2", 1, 30, "TUR", "justified for the other operation", T0)
    assert not blocks(conflict(overrides=(irq, tur)), op, concern, nobody)
    assert cleared_by(conflict(overrides=(irq, tur)), concern, nobody) == {"IRQ", "TUR"}


def test_a_conflict_is_resolved_once_every_concerned_nation_has_resolved_it() -> None:
    concern = Concern(frozenset({"IRQ", "TUR"}), {})
    assert status_after_resolution(conflict(), concern, frozenset({"TUR"})) == C.ACKNOWLEDGED
    assert status_after_resolution(conflict(), concern, frozenset({"TUR", "IRQ"})) == C.RESOLVED
    with pytest.raises(StateConflict):
        check_resolution(conflict(C.ACKNOWLEDGED), "TUR", frozenset({"TUR"}))


def test_only_a_participating_commander_overrides_with_a_justification() -> None:
    op = operation()
    assert check_override(conflict(), op, IRQ_GENERAL, "Patrol re-routed north") == "Patrol re-routed north"
    with pytest.raises(Invalid) as short:
        check_override(conflict(), op, IRQ_GENERAL, "ok")
    assert short.value.field == "justification"
    with pytest.raises(Forbidden):
        check_override(conflict(), op, Approver(21, "IRQ", is_commander=False), "Patrol re-routed north")
    with pytest.raises(Forbidden):
        check_override(conflict(), op, Approver(30, "JOR", is_commander=True), "Patrol re-routed north")
    with pytest.raises(StateConflict):
        check_override(conflict(C.RESOLVED), op, IRQ_GENERAL, "Patrol re-routed north")
    with pytest.raises(Invalid):
        check_override(conflict(), operation(op_id=5), IRQ_GENERAL, "Patrol re-routed north")


def test_the_warning_says_where_when_and_whom_to_call_and_nothing_else() -> None:
    secret = conflict()
    warning = warning_for(secret, "operation:1", "Joint Deconfliction Cell, desk 2").to_dict()
    assert set(warning) == {
        "conflict_id",
        "status",
        "your_item",
        "overlap",
        "area_m2",
        "starts_at",
        "ends_at",
        "other_side",
        "contact",
        "restricted",
    }
    assert warning["your_item"] == "operation:1"
    assert warning["other_side"] == RESTRICTED_OTHER_SIDE
    assert warning["overlap"]["type"] == "Polygon"
    assert "operation:2" not in json.dumps(warning, default=str)
    with pytest.raises(ValueError):
        warning_for(secret, "operation:99", "desk")
