"""Federation between national nodes: node identities, peers and the two checks at the boundary (no I/O).

A node is one nation's Concord. It is known to its peers by its Ed25519 node key: the node id is
derived from the key, so a peer that holds the key (exchanged out of band, compared by fingerprint)
knows the id too. A peer is another node that an administrator of this node added, with the nation
it speaks for and the highest level exchanged with it. Nothing flows until both sides have added
each other: a node answers only requests signed by a peer it holds, and pulls only from its peers.

The boundary is checked twice with the one visibility rule (`markings.can_see`):

* **sending**: a peer node reads as a `Reader` of the peer's nation at the peer's level (`reader_of`),
  so the sender's own policy, as a SQL filter, decides what leaves;
* **receiving**: an item is accepted from a peer only if the peer originated it and could have
  released it to this node's nation at that level (`refusal`); anything else is refused and recorded.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from concord.domain.errors import Invalid
from concord.domain.markings import Level, Marking, Reader, can_see, check_nation_code
from concord.domain.people import Actor, Role

PEER_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{0,62}$")
#: The tag of a node's signed requests (RFC 9421 `tag`): a signature made for something else never passes.
SIGNATURE_TAG = "concord-federation"


def key_bytes(text: str, field: str = "key") -> bytes:
    """The 32 bytes of an Ed25519 public key written as base64 (standard or URL-safe, padded or not)."""
    cleaned = text.strip()
    try:
        raw = base64.b64decode(cleaned.replace("-", "+").replace("_", "/") + "=" * (-len(cleaned) % 4),
                               validate=True)
    except ValueError:
        raise Invalid("the node key is base64 of an Ed25519 public key (32 bytes)", field=field) from None
    if len(raw) != 32:
        raise Invalid("the node key is base64 of an Ed25519 public key (32 bytes)", field=field)
    return raw


def encode_key(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def fingerprint(raw: bytes) -> str:
    """What two administrators read to each other to compare a key: SHA-256 of the raw key."""
    digest = hashlib.sha256(raw).hexdigest()
    return "SHA256:" + ":".join(digest[i:i + 4] for i in range(0, 32, 4))


def node_id(raw: bytes) -> str:
    """A node's id: the first 16 bytes of SHA-256 of its key, hex (the RFC 9421 `keyid` it signs with)."""
    return hashlib.sha256(raw).hexdigest()[:32]


def check_peer_name(name: str) -> str:
    if not isinstance(name, str) or not PEER_NAME.match(name):
        raise Invalid("a peer name is 1 to 63 characters: lower-case letters, digits, '.' or '-'", field="name")
    return name


def check_url(url: str) -> str:
    if not isinstance(url, str) or not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", url) or len(url) > 500:
        raise Invalid("the peer's URL is http(s)://host[:port][/path], without query or fragment", field="url")
    return url.rstrip("/")


@dataclass(frozen=True, slots=True)
class Peer:
    id: int
    name: str
    nation: str
    url: str
    key: bytes
    level: Level  # the highest level exchanged with this peer, both ways
    added_at: datetime

    @property
    def node_id(self) -> str:
        return node_id(self.key)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key)


def new_peer_fields(name: str, nation: str, url: str, key: str, level: str) -> tuple[str, str, str, bytes, Level]:
    """The checked fields of a peer to add, each error naming its field."""
    try:
        check_nation_code(nation)
    except ValueError as exc:
        raise Invalid(str(exc), field="nation") from None
    try:
        lvl = Level[level.upper()]
    except KeyError:
        raise Invalid(f"level is one of {', '.join(m.name for m in Level)}", field="level") from None
    return check_peer_name(name), nation, check_url(url), key_bytes(key), lvl


def reader_of(peer: Peer) -> Reader:
    """The sender's check: a peer node reads as its nation, at the level agreed with it."""
    return Reader(None, peer.nation, peer.level)


def actor_of(peer: Peer) -> Actor:
    """A peer node as the one reader it is (an observer of its nation: it reads, never writes).

    It is no person: its person id is the peer's id negated, which no person has, so audit entries
    of its reads say which peer read."""
    return Actor(-peer.id, f"peer:{peer.name}", f"Peer node {peer.name}", peer.nation, peer.level,
                 frozenset({Role.OBSERVER}))


def is_peer(actor: Actor) -> bool:
    """Whether the actor is a peer node (`actor_of`), not a person."""
    return actor.person_id < 0 and actor.username.startswith("peer:")


def refusal(peer: Peer, own_nation: str, marking: Marking) -> str | None:
    """The receiver's check: why an item received from `peer` is refused, or None to accept it.

    The peer may send only what it originated (a node never relays another nation's items), and only
    what its policy releases to this node's nation at the level agreed with it."""
    if marking.originator != peer.nation:
        return f"originated by {marking.originator}, not by the peer's nation {peer.nation}"
    if not can_see(Reader(None, own_nation, peer.level), marking):
        return f"not releasable to {own_nation} at {peer.level.name} under its marking"
    return None
