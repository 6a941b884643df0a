"""Peer nodes, how far this node has pulled from each, and which items came from which peer node.

`peers`: one row per peer node an administrator added (removing the peer deletes its row, which cuts it
at once: its signed requests no longer find a key, and the puller no longer finds it). Its pull cursor
(`pulled_until`, the TAXII `date_added` of the last object taken, the peer's own clock) and the link's
state are kept on the row, written in the same transaction as what a page imported, so a node that
restarts resumes exactly after the last page it committed.

`peer_items`: which local item was received from which peer node (its originator node), so that only
that node may change it and its removal by that node removes it here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    delete,
    select,
    update,
)

from concord.domain.federation import Peer
from concord.domain.markings import Level
from concord.storage.dialect import for_update
from concord.storage.schema import TS, BigId, metadata

peers = Table(
    "peers", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(63), nullable=False, unique=True),
    Column("nation", String(3), nullable=False),
    Column("url", String(500), nullable=False),
    Column("node_key", LargeBinary(32), nullable=False, unique=True),
    Column("node_id", String(32), nullable=False, unique=True),
    Column("level", SmallInteger, nullable=False),
    Column("added_at", TS, nullable=False),
    Column("added_by", BigInteger, nullable=True),
    # The link as this node sees it: where its pulls have got to and how the last one went.
    Column("pulled_until", String(31), nullable=True),
    Column("pulled_at", TS, nullable=True),
    Column("received", BigInteger, nullable=False, default=0),
    Column("refused", BigInteger, nullable=False, default=0),
    Column("last_refusal", Text, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("failed_at", TS, nullable=True),
    # The event-log feed (storage/federation_feed.py): the peer's position applied here up to.
    Column("feed_position", BigInteger, nullable=True),
)

peer_items = Table(
    "peer_items", metadata,
    Column("item_type", String(40), primary_key=True),
    Column("item_id", BigInteger, primary_key=True),
    Column("peer_id", BigId, ForeignKey("peers.id", ondelete="SET NULL"), nullable=True, index=True),
    Column("origin_node", String(32), nullable=False),
    Column("received_at", TS, nullable=False),
    # The item's id on its originator's node (items received over the event-log feed).
    Column("origin_id", String(160), nullable=True),
    Index("ix_peer_items_origin", "origin_node", "item_type", "origin_id", unique=True),
)


def _peer(row: object) -> Peer:
    r = row._mapping  # type: ignore[attr-defined]
    return Peer(int(r["id"]), r["name"], r["nation"], r["url"], bytes(r["node_key"]), Level(r["level"]),
                r["added_at"])


def add_peer(conn: Connection, *, name: str, nation: str, url: str, key: bytes, node_id: str, level: Level,
             at: datetime, by: int | None) -> Peer | None:
    """The new peer, or None when its name or key is one already held."""
    taken = conn.execute(select(peers.c.id).where(
        (peers.c.name == name) | (peers.c.node_key == key) | (peers.c.node_id == node_id))).first()
    if taken is not None:
        return None
    new_id = conn.execute(peers.insert().values(
        name=name, nation=nation, url=url, node_key=key, node_id=node_id, level=int(level), added_at=at,
        added_by=by, received=0, refused=0).returning(peers.c.id)).scalar_one()
    return get_peer(conn, int(new_id))


def get_peer(conn: Connection, peer_id: int) -> Peer | None:
    row = conn.execute(select(peers).where(peers.c.id == peer_id)).first()
    return _peer(row) if row else None


def peer_named(conn: Connection, name: str) -> Peer | None:
    row = conn.execute(select(peers).where(peers.c.name == name)).first()
    return _peer(row) if row else None


def peer_by_node(conn: Connection, node_id: str) -> Peer | None:
    row = conn.execute(select(peers).where(peers.c.node_id == node_id)).first()
    return _peer(row) if row else None


def list_peers(conn: Connection) -> list[tuple[Peer, dict[str, object]]]:
    """Every peer with its link state."""
    rows = conn.execute(select(peers).order_by(peers.c.name)).all()
    return [(_peer(r), {k: r._mapping[k] for k in ("pulled_until", "pulled_at", "received", "refused",
                                                   "last_refusal", "last_error", "failed_at")}) for r in rows]


def remove_peer(conn: Connection, peer_id: int) -> bool:
    return conn.execute(delete(peers).where(peers.c.id == peer_id)).rowcount > 0


def cursor_of(conn: Connection, peer_id: int) -> tuple[bool, str | None]:
    """(the peer is still held, its pull cursor)."""
    row = conn.execute(select(peers.c.pulled_until).where(peers.c.id == peer_id)).first()
    return (row is not None, None if row is None else row.pulled_until)


def lock_cursor(conn: Connection, peer_id: int) -> tuple[bool, str | None]:
    """(the peer is still held, its pull cursor), its row locked to the end of the transaction: one
    process at a time imports a page from one peer."""
    row = conn.execute(for_update(conn, select(peers.c.pulled_until).where(peers.c.id == peer_id))).first()
    return (row is not None, None if row is None else row.pulled_until)


def save_pull(conn: Connection, peer_id: int, *, until: str | None, at: datetime, received: int, refused: int,
              last_refusal: str | None) -> None:
    values: dict[str, object] = {"pulled_at": at, "received": peers.c.received + received,
                                 "refused": peers.c.refused + refused, "last_error": None}
    if until is not None:
        values["pulled_until"] = until
    if last_refusal is not None:
        values["last_refusal"] = last_refusal
    conn.execute(update(peers).where(peers.c.id == peer_id).values(**values))


def save_failure(conn: Connection, peer_id: int, reason: str, at: datetime) -> None:
    conn.execute(update(peers).where(peers.c.id == peer_id).values(last_error=reason[:2000], failed_at=at))


def record_items(conn: Connection, peer: Peer, item_type: str, item_ids: list[int], at: datetime) -> None:
    """Remember that these items came from `peer`'s node (idempotent: a second receipt changes nothing)."""
    if not item_ids:
        return
    held = set(conn.execute(select(peer_items.c.item_id).where(
        peer_items.c.item_type == item_type, peer_items.c.item_id.in_(item_ids))).scalars())
    fresh = [i for i in dict.fromkeys(item_ids) if i not in held]
    if fresh:
        conn.execute(peer_items.insert(), [{"item_type": item_type, "item_id": i, "peer_id": peer.id,
                                            "origin_node": peer.node_id, "received_at": at}
                                           for i in fresh])


def origin_node(conn: Connection, item_type: str, item_id: int) -> str | None:
    """The peer node an item came from, or None for an item made on this node."""
    return conn.execute(select(peer_items.c.origin_node).where(
        peer_items.c.item_type == item_type, peer_items.c.item_id == item_id)).scalar_one_or_none()


def items_from(conn: Connection, peer: Peer, item_type: str) -> list[int]:
    return [int(i) for i in conn.execute(select(peer_items.c.item_id).where(
        peer_items.c.item_type == item_type, peer_items.c.origin_node == peer.node_id)).scalars()]


def forget_items(conn: Connection, item_type: str, item_ids: list[int]) -> None:
    if item_ids:
        conn.execute(delete(peer_items).where(peer_items.c.item_type == item_type,
                                              peer_items.c.item_id.in_(item_ids)))


def has_node_for(conn: Connection, nation: str) -> bool:
    """Whether a peer node speaks for `nation` (its decisions are then given there, and carried here)."""
    return conn.execute(select(peers.c.id).where(peers.c.nation == nation).limit(1)).first() is not None
