"""Two server processes proposing overlapping operations at the same moment never both miss each other."""

from __future__ import annotations

import threading
from pathlib import Path

from concord.api.operations import OperationIn
from concord.centre import Centre
from concord.clock import FixedClock
from concord.domain.people import Actor, Role
from tests.factories import person
from tests.integration.ops_helpers import operation_body


def _actor(centre: Centre, username: str) -> Actor:
    view = centre.people.find(username)
    return Actor(view.id, view.username, view.display_name, view.nation, view.clearance, frozenset(view.current_roles))


def test_simultaneous_proposals_in_two_processes(centre: Centre, clock: FixedClock, tmp_path: Path) -> None:
    person(centre, "TUR", (Role.LIAISON_OFFICER,), username="tur.planner")
    person(centre, "IRQ", (Role.LIAISON_OFFICER,), username="irq.planner")
    other = Centre(centre.settings, clock=clock)   # a second server process on the same database
    try:
        tur, irq = _actor(centre, "tur.planner"), _actor(other, "irq.planner")
        body = operation_body(clock.now(), forces=[], tasks=[], phases=[])
        first = centre.operations.create(tur, OperationIn.model_validate(body).to_plan(tur)).operation
        second = other.operations.create(irq, OperationIn.model_validate(body).to_plan(irq)).operation
        for c in (centre, other):
            c.deconfliction.rebuild()   # both engines know neither proposal yet
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def propose(c: Centre, actor: Actor, operation_id: int) -> None:
            try:
                barrier.wait()
                c.operations.propose(actor, operation_id)
            except BaseException as exc:  # reported below; a thread must not swallow a failure
                errors.append(exc)

        threads = [threading.Thread(target=propose, args=(centre, tur, first.id)),
                   threading.Thread(target=propose, args=(other, irq, second.id))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        conflicts = centre.conflicts.list_visible(tur)
        assert len(conflicts) == 1
        assert {side["item"] for side in conflicts[0]["sides"]} == {first.key, second.key}
    finally:
        other.close()
