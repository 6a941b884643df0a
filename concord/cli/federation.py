"""`concord node show` and `concord peer add|list|remove`: this node's identity and its peers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from concord.cli.centre import actor_for, open_centre
from concord.cli.errors import run_safely
from concord.domain.peer_links import link_status

node_app = typer.Typer(help="This node's identity (federation).", no_args_is_help=True)
peer_app = typer.Typer(help="Peer nodes, added by mutual consent (federation).", no_args_is_help=True)
console = Console()

AsAdmin = Annotated[str, typer.Option("--as", help="an administrator of this node's nation")]


@node_app.command("show")
@run_safely
def node_show() -> None:
    """Print this node's id, its key (give it to a peer's administrator) and the fingerprints to compare."""
    centre = open_centre()
    identity = centre.node
    console.print(f"node id:         {identity.node_id}")
    console.print(f"nation:          {centre.settings.node_nation or '(not set: CONCORD_NODE_NATION)'}")
    console.print(f"key:             {centre.federation.public_key()}", soft_wrap=True)
    console.print(f"key fingerprint: {identity.fingerprint}", soft_wrap=True)
    console.print(f"TLS certificate: {identity.certificate_path} ({identity.certificate_fingerprint()})",
                  soft_wrap=True)
    centre.close()


@peer_app.command("add")
@run_safely
def peer_add(
    name: Annotated[str, typer.Argument(help="how this node calls the peer, e.g. irq-node")],
    url: Annotated[str, typer.Option(help="the peer node's base URL")],
    key: Annotated[str, typer.Option(help="the peer's node key, as its `concord node show` prints it")],
    nation: Annotated[str, typer.Option(help="the nation the peer node speaks for")],
    level: Annotated[str, typer.Option(help="highest classification level exchanged with the peer")],
    as_user: AsAdmin,
) -> None:
    """Add a peer node. Nothing flows until the peer's administrators add this node too."""
    centre = open_centre()
    peer = centre.federation.add_peer(actor_for(centre, as_user), name=name, nation=nation.upper(), url=url,
                                      key=key, level=level)
    centre.close()
    console.print(f"Added peer {peer.name} ({peer.nation}, {peer.url}), key {peer.fingerprint}.", soft_wrap=True)
    console.print("Compare that fingerprint with the peer's administrator before anything flows.")


@peer_app.command("list")
@run_safely
def peer_list(as_user: AsAdmin) -> None:
    """Peer nodes and the state of each link."""
    centre = open_centre()
    views = centre.federation.peers(actor_for(centre, as_user))
    now = centre.clock.now()
    centre.close()
    table = Table(title="Peer nodes")
    for column in ("name", "nation", "url", "level", "fingerprint", "link", "behind", "pulled until", "received",
                   "refused", "last error"):
        table.add_column(column)
    for v in views:
        link = v.link
        pulled, error = link["pulled_at"], link["last_error"]
        status = link_status(pulled_at=pulled if isinstance(pulled, datetime) else None,
                             last_error=str(error) if error else None, now=now)
        behind = "-" if status.behind_seconds is None else f"{status.behind_seconds:.0f} s"
        table.add_row(v.peer.name, v.peer.nation, v.peer.url, v.peer.level.name, v.peer.fingerprint,
                      status.state.value, behind, str(link["pulled_until"] or "-"), str(link["received"]),
                      str(link["refused"]), str(error or ""))
    console.print(table)


@peer_app.command("remove")
@run_safely
def peer_remove(name: Annotated[str, typer.Argument(help="the peer's name")], as_user: AsAdmin) -> None:
    """Remove a peer node: its requests are refused and nothing more is pulled from it, at once."""
    centre = open_centre()
    centre.federation.remove_peer(actor_for(centre, as_user), name)
    centre.close()
    console.print(f"Removed peer {name}: cut.")
