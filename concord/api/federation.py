"""Federation over HTTP: this node's identity, and its peer nodes (administrators of the node's nation)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, Field

from concord.api.deps import ActorDep, CentreDep
from concord.api.read_audit import api_router
from concord.clock import iso
from concord.domain.peer_links import LinkState, link_status
from concord.services.federation import PeerView

router = api_router(prefix="/api", tags=["federation"])

PeerName = Annotated[str, Path(pattern="^[a-z0-9][a-z0-9.-]{0,62}$", description="the peer's name on this node")]


class NodeOut(BaseModel):
    node_id: str
    nation: str | None
    key: str = Field(description="the node's Ed25519 public key, base64: give it to a peer's administrator")
    fingerprint: str = Field(description="read it to the peer's administrator to compare keys out of band")
    tls_fingerprint: str


class PeerIn(BaseModel):
    name: str = Field(max_length=63, description="how this node calls the peer, e.g. irq-node")
    nation: str = Field(max_length=3, description="the nation the peer node speaks for")
    url: str = Field(max_length=500, description="the peer node's base URL")
    key: str = Field(max_length=100, description="the peer's node key (base64), as `concord node show` prints it")
    level: str = Field(max_length=20, description="the highest classification level exchanged with the peer")


class PeerOut(BaseModel):
    name: str
    nation: str
    url: str
    node_id: str
    fingerprint: str
    level: str
    added_at: str
    pulled_until: str | None = Field(description="the peer's date_added of the last object taken from it")
    pulled_at: str | None = Field(description="when the last complete pull from the peer ended")
    received: int
    refused: int
    last_refusal: str | None
    last_error: str | None = Field(description="why the last pull failed (cleared by a good one)")
    failed_at: str | None = Field(description="when a pull from the peer last failed")
    state: LinkState = Field(description="pending (not pulled yet), awaiting_consent (the peer has not added this "
                             "node, or removed it), up (the last pull completed) or failing")
    behind_seconds: float | None = Field(description="seconds since the last complete pull: how far behind the "
                                         "peer this node may be (null before the first)")

    @classmethod
    def of(cls, view: PeerView, now: datetime) -> PeerOut:
        p, link = view.peer, view.link
        pulled, failed, error = link.get("pulled_at"), link.get("failed_at"), _text(link.get("last_error"))
        status = link_status(pulled_at=pulled if isinstance(pulled, datetime) else None, last_error=error, now=now)
        return cls(state=status.state, behind_seconds=status.behind_seconds,
                   failed_at=iso(failed) if isinstance(failed, datetime) else None,
                   name=p.name, nation=p.nation, url=p.url, node_id=p.node_id, fingerprint=p.fingerprint,
                   level=p.level.name, added_at=iso(p.added_at), pulled_until=_text(link.get("pulled_until")),
                   pulled_at=iso(pulled) if isinstance(pulled, datetime) else None,
                   received=int(link.get("received") or 0),  # type: ignore[call-overload]
                   refused=int(link.get("refused") or 0),  # type: ignore[call-overload]
                   last_refusal=_text(link.get("last_refusal")), last_error=error)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@router.get("/node", response_model=NodeOut, summary="This node's identity (administrators of its nation)")
def node(actor: ActorDep, centre: CentreDep) -> NodeOut:
    centre.federation.peers(actor)  # the same rule as the peers: administrators of the node's nation
    identity = centre.node
    return NodeOut(node_id=identity.node_id, nation=centre.settings.node_nation,
                   key=centre.federation.public_key(), fingerprint=identity.fingerprint,
                   tls_fingerprint=identity.certificate_fingerprint())


@router.get("/peers", response_model=list[PeerOut], summary="Peer nodes and their links (administrators)")
def peers(actor: ActorDep, centre: CentreDep) -> list[PeerOut]:
    now = centre.clock.now()
    return [PeerOut.of(v, now) for v in centre.federation.peers(actor)]


@router.post("/peers", response_model=PeerOut, status_code=201,
             summary="Add a peer node: nothing flows until its administrators add this node too")
def add_peer(body: PeerIn, actor: ActorDep, centre: CentreDep) -> PeerOut:
    centre.federation.add_peer(actor, name=body.name, nation=body.nation, url=body.url, key=body.key,
                               level=body.level)
    return next(PeerOut.of(v, centre.clock.now()) for v in centre.federation.peers(actor) if v.peer.name == body.name)


@router.delete("/peers/{name}", status_code=204, summary="Remove a peer node: it is cut at once")
def remove_peer(name: PeerName, actor: ActorDep, centre: CentreDep) -> None:
    centre.federation.remove_peer(actor, name)
