"""The demo scenario shows an operation awaiting approval in conflict with an operation and a site."""

from __future__ import annotations

import json
from pathlib import Path

from concord.centre import Centre
from concord.clock import FixedClock
from concord.demo.scenario import load_scenario
from concord.domain.people import Actor
from tests.conftest import fast_settings


def _actor(centre: Centre, username: str) -> Actor:
    view = centre.people.find(username)
    return Actor(view.id, view.username, view.display_name, view.nation, view.clearance, frozenset(view.current_roles))


def test_demo_operations(database_url: str, tmp_path: Path, clock: FixedClock) -> None:
    centre = Centre(fast_settings(database_url, tmp_path / "data"), clock=clock)
    try:
        load_scenario(centre)
        irq = _actor(centre, "irq.commander")
        [kestrel] = [op for op in centre.operations.list_visible(irq) if "KESTREL" in op.plan.name]
        view = centre.operations.get(irq, kestrel.id)
        assert view.operation.status.value == "proposed" and view.pending == ["IRQ", "TUR"]
        conflicts = centre.conflicts.list_visible(irq, involving=kestrel.key)
        others = {side["item"].split(":")[0] for c in conflicts for side in c["sides"] if side["item"] != kestrel.key}
        assert others == {"operation", "site"}
        # Iraq is warned about the Turkish national flight without learning what it is.
        warnings = [c for c in centre.conflicts.list_visible(irq) if c["restricted"]]
        assert warnings and "reconnaissance" not in json.dumps(warnings, default=str)
    finally:
        centre.close()


def test_demo_intelligence_is_searchable_and_correlated(database_url: str, tmp_path: Path, clock: FixedClock) -> None:
    """The demo brings the search and correlation indexes up to date before it serves."""
    from concord.services.intel_read import ListFilter

    centre = Centre(fast_settings(database_url, tmp_path / "data"), clock=clock)
    try:
        load_scenario(centre)
        assert centre.intel_index.state()[1] == 0  # no publication left to index
        irq = centre.people.actor_named("irq.analyst")
        found = {o.title for o in centre.intel_read.list_objects(irq, ListFilter(text="heron"))}
        assert "Grey Heron: smuggling network overview (demo)" in found
        assert "Internal watch-list entry (demo)" not in {
            o.title for o in centre.intel_read.list_objects(irq, ListFilter(text="watch list"))}
        assert centre.intel_index.objects_behind(irq.reader) == 0
        assert [c["value"] for c in centre.intel_read.correlations(irq)] == ["198.51.100.23"]
    finally:
        centre.close()
