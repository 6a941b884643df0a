"""`concord demo --federated` as a new user runs it: three nodes answer on three ports, each with its own
accounts, peered by consent; an object released on one appears on the node it names and on no other;
SIGINT stops all three."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest

from tests.integration.realtime.live import sign_in
from tests.integration.test_federation_nodes import indicator, publish, until

PASSWORD = "federated-demo-password-1"
NATIONS = ("TUR", "IRQ", "JOR")


def three_free_ports() -> int:
    """A port P with P, P+1 and P+2 free now (the demo takes three consecutive ports)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = int(s.getsockname()[1])
        if base + 2 > 65535:
            continue
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", base + 1))
                b.bind(("127.0.0.1", base + 2))
        except OSError:
            continue
        return base
    raise AssertionError("no three consecutive free ports")


@contextmanager
def federated_demo(home: Path) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, str]]]:
    """The federated demo running in `home`, and each nation's node URL once all three are ready."""
    base = three_free_ports()
    env = {**os.environ, "CONCORD_DEMO_PASSWORD": PASSWORD, "CONCORD_ARGON2_TIME_COST": "1",
           "CONCORD_ARGON2_MEMORY_KIB": "8192", "CONCORD_LOG_JSON": "false", "PYTHONWARNINGS": "ignore"}
    log = home / "demo.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "concord", "demo", "--federated", "--port", str(base)],
                                   cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT)
    urls = {nation: f"http://127.0.0.1:{base + i}" for i, nation in enumerate(NATIONS)}
    try:
        deadline = time.monotonic() + 180  # three processes importing the centre at once on a loaded machine
        for url in urls.values():
            while True:
                assert process.poll() is None, f"the demo exited: {log.read_text()[-3000:]}"
                with suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                        break
                assert time.monotonic() < deadline, f"the demo did not answer: {log.read_text()[-3000:]}"
                time.sleep(0.3)
        yield process, urls
    finally:
        if process.poll() is None:  # the test failed before its own SIGINT: the demo stops its nodes
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def client(url: str, username: str) -> httpx.Client:
    token = sign_in(url.removeprefix("http://"), username, PASSWORD)
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=15)


def names_from(api: httpx.Client, originator: str) -> set[str]:
    response = api.get("/api/intel/objects", params={"originator": originator})
    assert response.status_code == 200, response.text
    return {o["stix_id"] for o in response.json()["items"]}


def test_three_nodes_share_what_is_released_and_stop_on_sigint(tmp_path: Path) -> None:
    with federated_demo(tmp_path) as (process, urls):
        for nation, url in urls.items():
            admin = client(url, f"{nation.lower()}.admin")
            node = admin.get("/api/node").json()
            assert node["nation"] == nation
            links = {p["name"]: p for p in admin.get("/api/peers").json()}
            assert set(links) == {f"{n.lower()}-node" for n in NATIONS if n != nation}
            admin.close()
        assert (tmp_path / "var" / "federated" / "tur.db").exists()  # its own SQLite file per node
        # the printed process ids are the nodes' (what a user stops and resumes to cut a link)
        pids = dict(re.findall(r"([A-Z]{3}) pid (\d+)", (tmp_path / "demo.log").read_text()))
        assert set(pids) == set(NATIONS)
        for pid in pids.values():
            assert b"serve" in Path(f"/proc/{pid}/cmdline").read_bytes()

        analysts = {nation: client(url, f"{nation.lower()}.analyst") for nation, url in urls.items()}
        for_jor = indicator("tur-to-jor-live")
        publish(analysts["TUR"], for_jor, ["JOR"])
        until("TUR's release reached JOR's node", lambda: for_jor["id"] in names_from(analysts["JOR"], "TUR"))
        # the demo's own items: JOR holds TUR's release to all and to JOR, IRQ's node neither JOR-only item
        assert len(names_from(analysts["JOR"], "TUR")) == 3
        until("IRQ has TUR's releases to it", lambda: len(names_from(analysts["IRQ"], "TUR")) == 2)
        assert for_jor["id"] not in names_from(analysts["IRQ"], "TUR")
        for api in analysts.values():
            api.close()

        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0
        for url in urls.values():
            try:
                httpx.get(f"{url}/healthz", timeout=2)
            except httpx.ConnectError:
                continue
            raise AssertionError(f"{url} still answers after SIGINT")
    assert "Stopped the three nodes." in (tmp_path / "demo.log").read_text()


def test_a_second_run_keeps_each_nodes_accounts_and_keys_and_follows_new_ports(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from concord.cli.demo_federated import node_environment, open_node, prepare

    for name, value in {"CONCORD_DEMO_PASSWORD": PASSWORD, "CONCORD_ARGON2_TIME_COST": "1",
                        "CONCORD_ARGON2_MEMORY_KIB": "8192"}.items():
        monkeypatch.setenv(name, value)
    root = tmp_path / "federated"
    first = prepare(root, "127.0.0.1", [7101, 7102, 7103])
    second = prepare(root, "127.0.0.1", [7201, 7202, 7203])
    assert [(n.nation, n.key, n.accounts) for n in first] == [(n.nation, n.key, n.accounts) for n in second]
    centre = open_node(node_environment("JOR", root))
    try:
        admin = centre.people.actor_named("jor.admin")
        held = {v.peer.name: (v.peer.nation, v.peer.url) for v in centre.federation.peers(admin)}
        assert held == {"tur-node": ("TUR", "http://127.0.0.1:7201"), "irq-node": ("IRQ", "http://127.0.0.1:7202")}
        # the node holds only its own nation's people, and its own intelligence
        assert {a["username"] for a in second[2].accounts} == {"jor.admin", "jor.analyst", "jor.watch"}
        assert centre.people.find("jor.analyst").nation == "JOR"
    finally:
        centre.close()
