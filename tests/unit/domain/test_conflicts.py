"""Conflict steps, overrides per version, and the warning that leaks nothing."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import shapely

from concord.domain.conflicts import (
    RESTRICTED_OTHER_SIDE,
    WARNING_CELL_DEGREES,
    Coarse,
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


def test_a_warning_tells_where_by_grid_cell_and_when_by_the_hour() -> None:
    exact = replace(conflict(), starts_at=datetime(2026, 12, 7, 9, 17, tzinfo=UTC),
                    ends_at=datetime(2026, 12, 7, 11, 0, tzinfo=UTC))
    warning = warning_for(exact, "operation:1", "desk")
    cells = shapely.geometry.shape(warning.overlap)
    # Every cell is whole: its corners are multiples of the cell size; the overlap is inside the cells.
    d = WARNING_CELL_DEGREES
    for x, y in shapely.get_coordinates(cells):
        assert round(x / d, 6).is_integer() and round(y / d, 6).is_integer()
    assert cells.covers(exact.overlap) and cells.area > exact.overlap.area
    assert warning.area_m2 > exact.area_m2
    assert (warning.starts_at, warning.ends_at) == (datetime(2026, 12, 7, 9, tzinfo=UTC),
                                                    datetime(2026, 12, 7, 11, tzinfo=UTC))


def test_probing_with_different_shapes_inside_one_cell_learns_the_same_answer() -> None:
    """Two hidden items of different outline and window within the same cells and hours answer alike:
    the warnings cannot trace an outline or a minute."""
    inside = shapely.box(43.101, 36.101, 43.149, 36.149)
    small = shapely.box(43.12, 36.12, 43.13, 36.13)
    t = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    a = Coarse.of(inside, t + timedelta(minutes=5), t + timedelta(minutes=50))
    b = Coarse.of(small, t + timedelta(minutes=30), t + timedelta(minutes=31))
    assert a == b
    assert a.geometry.equals(shapely.box(43.1, 36.1, 43.15, 36.15))
    # An overlap astride a cell edge gives both cells, joined into one shape.
    astride = Coarse.of(shapely.box(43.14, 36.12, 43.16, 36.13), None, None)
    assert astride.geometry.equals(shapely.box(43.1, 36.1, 43.2, 36.15))
    assert (astride.starts_at, astride.ends_at) == (None, None)
