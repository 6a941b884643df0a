"""The event-log feed between two real nodes: TUR's `concord serve` on PostgreSQL, IRQ's on SQLite, each
with its own keys and accounts, talking over HTTP with signed requests and answers (docs/federation.md).

What each nation would notice: TUR's operation appears on IRQ's node; IRQ's commander approves it on
IRQ's node and TUR's node sees that approval and makes the operation approved, which IRQ then sees;
incidents TUR reports while IRQ's node is down arrive when it is back (store and forward), exactly
once each, in spite of IRQ's node being killed with SIGKILL part way through catching up (pages of 4)
and TUR's node being killed while IRQ pulls; what TUR releases only to JOR never arrives; and TUR
taking the operation back removes IRQ's copy.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from concord.centre import Centre
from concord.clock import iso
from concord.domain.people import Role
from tests.conftest import fast_settings, throwaway_postgres
from tests.factories import person
from tests.integration.ops_helpers import national_body, operation_body
from tests.integration.realtime.test_processes import wait_ready
from tests.integration.test_federation_nodes import Node, add_peer, peer_link, until

pytestmark = [pytest.mark.postgres]


def make(nation: str, database_url: str, data_dir: Path) -> Node:
    centre = Centre(fast_settings(database_url, data_dir, node_nation=nation))
    centre.migrate()
    for code, name in (("TUR", "Türkiye"), ("IRQ", "Iraq"), ("JOR", "Jordan")):
        centre.nations.add(code, name)
    lower = nation.lower()
    person(centre, nation, (Role.ADMINISTRATOR,), username=f"{lower}.admin")
    person(centre, nation, (Role.COMMANDER,), username=f"{lower}.general")
    person(centre, nation, (Role.WATCH_OFFICER,), username=f"{lower}.watch")
    key = centre.federation.public_key()
    centre.close()
    return Node(nation, database_url, data_dir, key)


def restart(node: Node) -> None:
    node.start()
    assert node.proc is not None
    wait_ready(node.proc, node.address)


def incident(api: httpx.Client, title: str, partner: str) -> None:
    response = api.post("/api/incidents", json={
        "category": "other", "title": title, "location": {"type": "Point", "coordinates": [44.0, 37.1]},
        "occurred_from": iso(datetime.now(UTC) - timedelta(hours=1)), "partners": [partner],
        "marking": {"level": "RESTRICTED", "releasable_to": [partner], "tlp": "AMBER"}})
    assert response.status_code == 201, response.text


def titles(node: Node) -> Counter[str]:
    """The incidents an IRQ watch officer sees on IRQ's node, by title (a duplicate counts twice)."""
    with node.api("irq.watch") as api:
        response = api.get("/api/incidents", params={"limit": 1000})
    assert response.status_code == 200, response.text
    return Counter(i["title"] for i in response.json())


def received_incidents(database: Path) -> int:
    """How many incident copies IRQ's node has committed (read from its SQLite file while it runs)."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as conn:
        return int(conn.execute("SELECT count(*) FROM peer_items WHERE item_type = 'incident'").fetchone()[0])


def operations(api: httpx.Client) -> list[dict[str, Any]]:
    response = api.get("/api/operations")
    assert response.status_code == 200, response.text
    return list(response.json())


def test_feed_between_two_processes_survives_sigkill_of_either_side(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONCORD_FEDERATION_PAGE_SIZE", "4")  # many small pages: kills land between and inside
    with throwaway_postgres() as url:
        tur = make("TUR", url, tmp_path / "tur")
        irq = make("IRQ", f"sqlite:///{tmp_path / 'irq.db'}", tmp_path / "irq")
        restart(tur)
        restart(irq)
        try:
            tur_general = tur.api("tur.general")
            with tur.api("tur.admin") as admin:
                add_peer(admin, "irq-node", irq)
            with irq.api("irq.admin") as admin:
                add_peer(admin, "tur-node", tur)

            # TUR proposes a joint operation; it appears on IRQ's node.
            created = tur_general.post("/api/operations", json=operation_body(datetime.now(UTC) + timedelta(days=1)))
            assert created.status_code == 201, created.text
            op_id = created.json()["id"]
            assert tur_general.post(f"/api/operations/{op_id}/propose").status_code == 200
            with irq.api("irq.general") as irq_general:
                until("the proposed operation reached IRQ",
                      lambda: [o["status"] for o in operations(irq_general)] == ["proposed"])
                [copy] = operations(irq_general)
                assert copy["marking"]["originator"] == "TUR" and copy["status"] == "proposed"
                # IRQ cannot change it; IRQ's commander approves it on IRQ's node.
                assert irq_general.post(f"/api/operations/{copy['id']}/cancel",
                                        json={"reason": "not ours"}).status_code == 403
                approved = irq_general.post(f"/api/operations/{copy['id']}/approve", json={"version": 1})
                assert approved.status_code == 200, approved.text

            def tur_op() -> dict[str, Any]:
                return dict(tur_general.get(f"/api/operations/{op_id}").json())
            until("IRQ's approval reached TUR's node",
                  lambda: [a["nation"] for a in tur_op()["approvals"]] == ["IRQ"], state=tur_op)
            assert tur_general.post(f"/api/operations/{op_id}/approve", json={"version": 1}).status_code == 200
            assert tur_op()["status"] == "approved"
            with irq.api("irq.watch") as irq_watch:
                until("the approved status came back to IRQ",
                      lambda: operations(irq_watch)[0]["status"] == "approved")

            # Store and forward: IRQ's node is killed outright, and TUR reports meanwhile.
            irq.stop(signal.SIGKILL)
            expected = [f"shared {n}" for n in range(120)]
            for n, title in enumerate(expected):
                incident(tur_general, title, "IRQ")
                if n % 4 == 0:
                    incident(tur_general, f"for JOR {n}", "JOR")
            # IRQ's node restarts and catches up in pages of 4; it is killed again part way through.
            irq.start()
            copies = 0
            deadline = time.monotonic() + 60
            while copies == 0 and time.monotonic() < deadline:
                copies = received_incidents(tmp_path / "irq.db")
                time.sleep(0.02)
            irq.stop(signal.SIGKILL)
            killed_at = received_incidents(tmp_path / "irq.db")
            assert 0 < killed_at < len(expected), killed_at  # mid-stream, not before or after it
            for n in range(120, 128):
                expected.append(f"shared {n}")
                incident(tur_general, f"shared {n}", "IRQ")
            restart(irq)
            time.sleep(0.3)  # a pull under way: now the sender is killed outright
            tur.stop(signal.SIGKILL)
            tur_general.close()
            restart(tur)
            tur_general = tur.api("tur.general")
            for n in range(128, 136):
                expected.append(f"shared {n}")
                incident(tur_general, f"shared {n}", "IRQ")

            def missing() -> object:
                with irq.api("irq.admin") as irq_admin:
                    return sorted(set(expected) - set(titles(irq))), peer_link(irq_admin)
            until("every shared incident reached IRQ", lambda: set(titles(irq)) == set(expected), timeout=120,
                  state=missing)
            assert titles(irq) == Counter(expected)  # each once, none of JOR's
            with irq.api("irq.admin") as irq_admin:
                assert peer_link(irq_admin)["refused"] == 0

            # TUR takes the operation back to itself: IRQ's copy leaves.
            national = national_body(datetime.now(UTC) + timedelta(days=1))
            taken = tur_general.put(f"/api/operations/{op_id}", json=national)
            assert taken.status_code == 200, taken.text
            with irq.api("irq.watch") as irq_watch:
                until("IRQ's copy left", lambda: operations(irq_watch) == [])
                assert irq_watch.get(f"/api/operations/{copy['id']}").status_code == 404
            tur_general.close()
        finally:
            tur.stop()
            irq.stop()
