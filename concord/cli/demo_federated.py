"""`concord demo --federated`: three national nodes on one machine, peered by consent, served until SIGINT.

Each node is a `concord serve` process of its own, with its own SQLite file and data directory (keys,
accounts) under `var/federated/`, on its own port. Before they serve, each node's administrator adds
the other two (in the demo, this command carries the keys that administrators would read to each other
by phone), so every link is consented on both sides from the first pull.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from rich.console import Console
from rich.table import Table

from concord.centre import Centre
from concord.demo.federated import NATIONS, DemoNode, load_node, peer_with
from concord.settings import Settings

console = Console()
#: How often each demo node pulls its peers: short, so a release shows up on the others within seconds.
POLL_SECONDS = "2"
#: How long a node may take to stop after SIGTERM (it drains first: concord/api/drain.py).
STOP_SECONDS = 20.0


def node_environment(nation: str, root: Path) -> dict[str, str]:
    """The environment that makes a `concord serve` process this nation's node."""
    home = root / nation.lower()
    return {"CONCORD_DATABASE_URL": f"sqlite:///{root / f'{nation.lower()}.db'}", "CONCORD_DATA_DIR": str(home),
            "CONCORD_NODE_NATION": nation, "CONCORD_FEDERATION_POLL_SECONDS": POLL_SECONDS,
            # three nodes on one machine cannot share the TAK ports; the single-node demo has the TAK gateway
            "CONCORD_COT__LISTEN": "false", "CONCORD_DOCS_PUBLIC": "true"}


def open_node(environment: dict[str, str]) -> Centre:
    saved = dict(os.environ)
    os.environ.update(environment)
    try:
        return Centre(Settings())
    finally:
        os.environ.clear()
        os.environ.update(saved)


def prepare(root: Path, host: str, ports: list[int]) -> list[DemoNode]:
    """Create (or reopen) each node's database and keys, load its scenario, and peer it with the others."""
    nodes: list[DemoNode] = []
    for nation, port in zip(NATIONS, ports, strict=True):
        centre = open_node(node_environment(nation, root))
        centre.migrate()
        accounts = load_node(centre)
        nodes.append(DemoNode(nation, f"http://{host}:{port}", centre.federation.public_key(), accounts))
        centre.close()
    for node in nodes:
        centre = open_node(node_environment(node.nation, root))
        peer_with(centre, [other for other in nodes if other is not node])
        centre.close()
    return nodes


def _show(nodes: list[DemoNode]) -> None:
    table = Table(title="Federated demo: one node per nation (fictional people; passwords also in each "
                  "node's demo-accounts.json)")
    for column in ("node", "URL", "username", "role", "password"):
        table.add_column(column)
    for node in nodes:
        for i, account in enumerate(node.accounts):
            table.add_row(node.nation if i == 0 else "", node.url if i == 0 else "", account["username"],
                          account["role"], account["password"])
    console.print(table)
    console.print("Each node pulls the others every few seconds. Sign in to two nodes in two browser windows, "
                  "publish intelligence on one with a release to the other's nation, and watch it arrive. "
                  "Administration → Peers shows each link. Ctrl-C stops all three.", soft_wrap=True)


def _ready(node: DemoNode) -> bool:
    try:
        with urllib.request.urlopen(f"{node.url}/readyz", timeout=2) as response:  # noqa: S310 (a demo node's URL)
            return bool(response.status == 200)
    except OSError:
        return False


def run(root: Path, host: str, ports: list[int]) -> int:
    """Prepare the three nodes, serve them until SIGINT or SIGTERM (or until one exits), stop them all;
    print the addresses and accounts once all three answer.
    Returns the exit status: 0 when stopped by a signal, 1 when a node exited on its own."""
    nodes = prepare(root, host, ports)
    processes: list[subprocess.Popen[bytes]] = []
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for node, port in zip(nodes, ports, strict=True):
            # A session of its own: Ctrl-C reaches this command only, which stops the nodes in order.
            processes.append(subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
                [sys.executable, "-m", "concord", "serve", "--host", host, "--port", str(port)],
                env={**os.environ, **node_environment(node.nation, root)}, start_new_session=True))
        # The accounts are printed once the nodes answer, below their start-up logs, where a new user looks.
        while not stopping and not all(_ready(node) for node in nodes):
            if any(p.poll() is not None for p in processes):
                break
            time.sleep(0.5)
        _show(nodes)
        pids = ", ".join(f"{n.nation} pid {p.pid}" for n, p in zip(nodes, processes, strict=True))
        console.print(f"Nodes: {pids}. To cut a node off for a while: kill -STOP PID; to restore it: kill -CONT "
                      "PID. The others' Peer nodes pages show the link failing and falling behind, then "
                      "catching up with what queued meanwhile.", soft_wrap=True)
        while not stopping and all(p.poll() is None for p in processes):
            time.sleep(0.2)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        for s, handler in previous.items():
            signal.signal(s, handler)
    if stopping:
        console.print("Stopped the three nodes.")
        return 0
    failed = [n.nation for n, p in zip(nodes, processes, strict=True) if p.returncode not in (0, None)]
    console.print(f"A node stopped on its own ({', '.join(failed) or 'see above'}); stopped the others.")
    return 1
