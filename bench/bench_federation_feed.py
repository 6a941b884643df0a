"""Federation feed catch-up: how fast a node applies what a peer's log holds after a cut link.

Two nodes in one process, each on its own SQLite file (the HTTP hop and its signatures are left out:
the receiver calls the sender's `serve` directly, as tests/integration/test_federation_feed.py does).
TUR reports incidents released to IRQ while the link is down; then IRQ's node pulls them all, in
pages of 500, each page and its position in one transaction. The floor, measured in the same run: IRQ
reporting the same number of incidents itself (its own unit of work per incident). The issue's
target: 10,000 changes caught up in under 30 s; the row extrapolates from the measured rate.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import Row
from concord.centre import Centre
from concord.clock import iso
from concord.domain import federation as rules
from concord.domain.federation import Peer
from concord.domain.people import Role
from concord.settings import Settings
from concord.storage import federation as peer_store
from tests.factories import person


class _Answer:
    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = body

    def json(self) -> Mapping[str, Any]:
        return self.body


def node_centre(directory: Path, nation: str) -> Centre:
    """A fresh SQLite node of `nation` in `directory`, migrated, knowing TUR and IRQ."""
    centre = Centre(Settings(database_url=f"sqlite:///{directory / nation}.db", data_dir=directory / nation,
                             node_nation=nation, argon2_time_cost=1, argon2_memory_kib=8192, log_json=False))
    centre.migrate()
    centre.nations.add("TUR", "Türkiye")
    centre.nations.add("IRQ", "Iraq")
    return centre


def _report(centre: Centre, actor: Any, title: str, partner: str) -> None:
    centre.incidents.report(actor, {
        "category": "other", "title": title, "location": {"type": "Point", "coordinates": [44.0, 37.1]},
        "occurred_from": iso(datetime.now(UTC) - timedelta(hours=1)), "partners": [partner],
        "marking": {"level": "RESTRICTED", "originator": actor.nation, "releasable_to": [partner], "tlp": "AMBER"}})


def run(quick: bool) -> list[Row]:
    count = 300 if quick else 2000
    with tempfile.TemporaryDirectory() as tmp:
        tur, irq = node_centre(Path(tmp), "TUR"), node_centre(Path(tmp), "IRQ")
        try:
            for own, other, name in ((tur, irq, "irq-node"), (irq, tur, "tur-node")):
                admin = own.people.actor(person(own, own.settings.node_nation or "", (Role.ADMINISTRATOR,))[0])
                own.federation.add_peer(admin, name=name, nation=other.settings.node_nation or "",
                                        url="http://127.0.0.1:9", key=other.federation.public_key(), level="SECRET")

            def get_signed(peer: Peer, path: str, params: Mapping[str, str], *, accept: str) -> _Answer:
                with tur.db.read() as conn:
                    asking = peer_store.peer_by_node(conn, irq.node.node_id)
                assert asking is not None
                return _Answer(tur.federation_feed.serve(rules.actor_of(asking), int(params["after"]),
                                                         int(params["limit"])))
            irq.federation.get_signed = get_signed  # type: ignore[method-assign]

            tur_watch = tur.people.actor(person(tur, "TUR", (Role.WATCH_OFFICER,))[0])
            irq_watch = irq.people.actor(person(irq, "IRQ", (Role.WATCH_OFFICER,))[0])
            for n in range(count):  # the link is down: TUR keeps working
                _report(tur, tur_watch, f"TUR incident {n}", "IRQ")
            with irq.db.read() as conn:
                tur_node = peer_store.peer_named(conn, "tur-node")
            assert tur_node is not None
            started = time.perf_counter()
            applied = irq.federation_feed.pull(tur_node)
            catch_up_s = time.perf_counter() - started
            assert applied == count, applied
            started = time.perf_counter()
            for n in range(count):  # the floor: IRQ writing as many incidents itself
                _report(irq, irq_watch, f"IRQ incident {n}", "TUR")
            local_s = time.perf_counter() - started
        finally:
            tur.close()
            irq.close()
    rate, floor = count / catch_up_s, count / local_s
    return [
        Row(f"feed catch-up, {count} incidents (SQLite, no HTTP hop)", rate, floor, "changes/s",
            "at least the receiver's own write rate", peer_name="IRQ writing them itself"),
        Row("10,000 changes caught up in (extrapolated)", 10_000 / rate, None, "s", "< 30 s",
            higher_is_better=False),
    ]
