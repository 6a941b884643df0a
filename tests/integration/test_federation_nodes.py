"""Two real nodes: TUR's on PostgreSQL and IRQ's on SQLite, each a `concord serve` process with its own
database, keys and accounts, on free ports. IRQ's node pulls TUR's intelligence over TAXII 2.1, signed
with its node key (docs/federation.md).

What a user of each node would notice: before both administrators have added each other nothing
flows; after, IRQ gets exactly what TUR releases to it (not the TUR-only object); a release TUR
narrows, and an object TUR revokes, change on IRQ at the next pull; IRQ cannot change what came from
TUR's node; a node killed with SIGKILL resumes where it stopped, without duplicates; and once TUR
removes IRQ's node nothing more flows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from concord.centre import Centre
from concord.domain.people import Role
from tests.conftest import fast_settings, throwaway_postgres
from tests.factories import PASSWORD, person
from tests.integration.realtime.live import free_port, sign_in
from tests.integration.realtime.test_processes import wait_ready

pytestmark = [pytest.mark.postgres]


@dataclass
class Node:
    nation: str
    database_url: str
    data_dir: Path
    key: str
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def start(self) -> None:
        self.port = self.port or free_port()
        env = {**os.environ, "CONCORD_DATABASE_URL": self.database_url, "CONCORD_DATA_DIR": str(self.data_dir),
               "CONCORD_NODE_NATION": self.nation, "CONCORD_FEDERATION_POLL_SECONDS": "0.3",
               "CONCORD_ESCALATION_SECONDS": "0", "CONCORD_LOG_JSON": "false", "PYTHONWARNINGS": "ignore",
               "CONCORD_ARGON2_TIME_COST": "1", "CONCORD_ARGON2_MEMORY_KIB": "8192",
               "CONCORD_COT__LISTEN": "false", "CONCORD_INTEL_VALIDATION_WORKER": "false"}
        # The log goes to a file: a pipe nobody reads fills up (64 KB) and blocks the server's logging.
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "concord", "serve", "--port", str(self.port)],
                                         env=env, stdout=subprocess.DEVNULL, stderr=log)

    @property
    def log_path(self) -> Path:
        return self.data_dir / "serve.log"

    def log_tail(self, lines: int = 40) -> str:
        """The end of the node's log, for a failing test's message."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None
        print(f"--- the end of {self.nation}'s node log ---\n{self.log_tail()}")  # shown if the test failed

    def api(self, username: str) -> httpx.Client:
        token = sign_in(self.address, username, PASSWORD)
        # No idle connection is reused: the server may close one just as a request goes out on it
        # ("Server disconnected without sending a response" after a long wait between calls).
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=15,
                            limits=httpx.Limits(max_keepalive_connections=0))


def make_node(nation: str, database_url: str, data_dir: Path) -> Node:
    centre = Centre(fast_settings(database_url, data_dir, node_nation=nation))
    centre.migrate()
    centre.nations.add("TUR", "Türkiye")
    centre.nations.add("IRQ", "Iraq")
    person(centre, nation, (Role.ADMINISTRATOR,), username=f"{nation.lower()}.admin")
    person(centre, nation, (Role.ANALYST,), username=f"{nation.lower()}.analyst")
    key = centre.federation.public_key()  # made at first start, kept in DATA_DIR/keys
    centre.close()
    return Node(nation, database_url, data_dir, key)


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    with throwaway_postgres() as url:
        tur = make_node("TUR", url, tmp_path / "tur")
        irq = make_node("IRQ", f"sqlite:///{tmp_path / 'irq.db'}", tmp_path / "irq")
        tur.start()
        irq.start()
        try:
            assert tur.proc is not None and irq.proc is not None
            wait_ready(tur.proc, tur.address)
            wait_ready(irq.proc, irq.address)
            yield tur, irq
        finally:
            tur.stop()
            irq.stop()


def indicator(name: str) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2026-12-01T10:00:00.000Z", "modified": "2026-12-01T10:00:00.000Z", "name": name,
            "pattern": f"[domain-name:value = '{name}.example']", "pattern_type": "stix",
            "valid_from": "2026-12-01T10:00:00Z"}


def publish(api: httpx.Client, obj: dict[str, Any], releasable_to: list[str]) -> int:
    response = api.post("/api/intel/objects", json={
        "objects": [obj], "marking": {"level": "RESTRICTED", "releasable_to": releasable_to, "tlp": "AMBER"}})
    assert response.status_code == 201, response.text
    return int(response.json()["items"][0]["id"])


def tur_objects(api: httpx.Client) -> dict[str, dict[str, Any]]:
    """What an IRQ analyst sees of TUR's intelligence on IRQ's node, by STIX id."""
    response = api.get("/api/intel/objects", params={"originator": "TUR", "include_revoked": "true"})
    assert response.status_code == 200, response.text
    return {o["stix_id"]: o for o in response.json()["items"]}


def peer_link(api: httpx.Client) -> dict[str, Any]:
    response = api.get("/api/peers")
    assert response.status_code == 200, response.text
    [link] = response.json()
    return dict(link)


def until(what: str, check: Callable[[], bool], timeout: float = 60.0,
          state: Callable[[], object] | None = None) -> None:
    """Wait until `check()` holds (pulls run every 0.3 s; the timeout only bounds a machine under load);
    `state` says what the nodes showed when it did not."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}" + (f"; {state()}" if state else ""))
        time.sleep(0.2)


def add_peer(api: httpx.Client, name: str, other: Node) -> None:
    response = api.post("/api/peers", json={"name": name, "nation": other.nation, "url": other.url,
                                            "key": other.key, "level": "SECRET"})
    assert response.status_code == 201, response.text


def test_two_nodes_share_exactly_what_is_released(nodes: tuple[Node, Node], tmp_path: Path) -> None:
    tur, irq = nodes
    tur_analyst, tur_admin = tur.api("tur.analyst"), tur.api("tur.admin")
    irq_analyst, irq_admin = irq.api("irq.analyst"), irq.api("irq.admin")
    shared, kept = indicator("shared-with-irq"), indicator("tur-only")
    shared_id = publish(tur_analyst, shared, ["IRQ"])
    publish(tur_analyst, kept, [])

    # IRQ's administrator adds TUR's node; TUR's has not added IRQ's: IRQ's pulls are refused, nothing flows.
    add_peer(irq_admin, "tur-node", tur)
    until("IRQ's node tried to pull and was refused", lambda: bool(peer_link(irq_admin)["last_error"]))
    assert "401" in peer_link(irq_admin)["last_error"]
    assert tur_objects(irq_analyst) == {}
    assert httpx.get(f"{irq.url}/readyz").status_code == 200  # a link that fails is the link's state, not the node's

    # Mutual consent: exactly the object released to IRQ arrives, originator TUR, marking kept.
    add_peer(tur_admin, "irq-node", irq)
    until("the shared object reached IRQ", lambda: shared["id"] in tur_objects(irq_analyst))
    until("a complete pull after it", lambda: peer_link(irq_admin)["last_error"] is None)
    got = tur_objects(irq_analyst)
    assert set(got) == {shared["id"]}
    assert got[shared["id"]]["marking"]["originator"] == "TUR"
    assert got[shared["id"]]["marking"]["releasable_to"] == ["IRQ", "TUR"]
    assert peer_link(irq_admin)["refused"] == 0
    metrics = httpx.get(f"{irq.url}/metrics").text
    assert 'concord_peer_received_total{peer="tur-node"} 1.0' in metrics
    assert 'concord_peer_failing{peer="tur-node"} 0.0' in metrics

    # IRQ cannot change what came from TUR's node (its people are not TUR's, and neither is its node).
    received_id = got[shared["id"]]["id"]
    assert irq_analyst.post(f"/api/intel/objects/{received_id}/revoke").status_code == 403

    # A revocation on TUR arrives as the revoked version.
    revoked = indicator("revoked-later")
    revoked_id = publish(tur_analyst, revoked, ["IRQ"])
    until("the second object reached IRQ", lambda: revoked["id"] in tur_objects(irq_analyst))
    assert tur_analyst.post(f"/api/intel/objects/{revoked_id}/revoke").status_code == 204
    until("the revocation reached IRQ", lambda: tur_objects(irq_analyst).get(revoked["id"], {}).get("revoked"),
          state=lambda: (peer_link(irq_admin), tur_objects(irq_analyst)))

    # TUR narrows the first object to TUR only: IRQ's node removes it at the next pull.
    narrowed = tur_analyst.put(f"/api/intel/objects/{shared_id}/release",
                               json={"level": "RESTRICTED", "releasable_to": [], "tlp": "AMBER"})
    assert narrowed.status_code == 204, narrowed.text
    until("the narrowed object left IRQ", lambda: shared["id"] not in tur_objects(irq_analyst))
    assert irq_analyst.get(f"/api/intel/objects/{received_id}").status_code == 404

    # IRQ's node killed outright, TUR publishes meanwhile: after restart it resumes, nothing twice.
    irq.stop(signal.SIGKILL)
    irq_analyst.close()
    irq_admin.close()
    later = indicator("while-irq-was-down")
    publish(tur_analyst, later, ["IRQ"])
    irq.start()
    assert irq.proc is not None
    wait_ready(irq.proc, irq.address)
    irq_analyst, irq_admin = irq.api("irq.analyst"), irq.api("irq.admin")
    until("the object published during the outage reached IRQ", lambda: later["id"] in tur_objects(irq_analyst))
    assert set(tur_objects(irq_analyst)) == {revoked["id"], later["id"]}
    versions = irq_analyst.get(f"/api/intel/objects/{tur_objects(irq_analyst)[revoked['id']]['id']}").json()
    assert len(versions["versions"]) == 2  # the original and the revocation, each once

    # TUR removes IRQ's node: cut at once, nothing more flows.
    assert tur_admin.delete("/api/peers/irq-node").status_code == 204
    after_cut = indicator("after-the-cut")
    publish(tur_analyst, after_cut, ["IRQ"])
    until("IRQ's node is refused again", lambda: "401" in (peer_link(irq_admin)["last_error"] or ""))
    assert after_cut["id"] not in tur_objects(irq_analyst)
    for client in (tur_analyst, tur_admin, irq_analyst, irq_admin):
        client.close()
