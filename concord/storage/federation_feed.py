"""The node-to-node feed of the event log: what this node sent to each peer, where it has applied each
peer's log up to, which local copy stands for which item of a peer's node, and the approvals peers
carried here with their signatures (docs/federation.md).

The sender reads its own event log after a peer's position through the one policy as a SQL filter
(`visible_to` for the peer's nation), plus the events of items it has sent to that peer before
(`feed_sent`): those are how a narrowed or withdrawn item is removed there, and an item the peer was
never sent is never named to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    delete,
    exists,
    or_,
    select,
    update,
)

from concord.domain.federation import Peer
from concord.domain.markings import Reader
from concord.storage.dialect import for_update, insert_or_ignore
from concord.storage.events import events
from concord.storage.federation import peer_items, peers
from concord.storage.policy import visible_to
from concord.storage.schema import TS, BigId, metadata

# Keyed by the peer's node id, not its row: a peer removed and added again (the same node key) is still
# owed the removal of what it was sent before.
feed_sent = Table(
    "feed_sent", metadata,
    Column("node_id", String(32), primary_key=True),
    Column("item_type", String(40), primary_key=True),
    Column("item_id", String(160), primary_key=True),
)

signed_approvals = Table(
    "signed_approvals", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("operation_id", BigInteger, nullable=False, index=True),
    Column("nation", String(3), nullable=False),
    Column("origin_node", String(32), nullable=False),
    Column("statement", Text, nullable=False),
    Column("signature", String(100), nullable=False),
    Column("received_at", TS, nullable=False),
    UniqueConstraint("origin_node", "signature", name="uq_signed_approvals_signature"),
)


@dataclass(frozen=True, slots=True)
class Touched:
    """An item an event of the window is about, at the position of its last event there."""

    position: int
    item_type: str
    item_id: str


# --- the sending side ----------------------------------------------------------------------------
def window(conn: Connection, reader: Reader, node_id: str, after: int, head: int, limit: int,
           item_types: tuple[str, ...]) -> list[Touched]:
    """Events in (after, head] of `item_types` that the peer may see, or that are about an item sent
    to it before, in position order (at most `limit`). Positions up to `head` never change (the log's
    order is gap-free, storage/event_order.py), so a window is the same whenever it is read."""
    was_sent = exists().where(feed_sent.c.node_id == node_id, feed_sent.c.item_type == events.c.item_type,
                              feed_sent.c.item_id == events.c.item_id)
    rows = conn.execute(
        select(events.c.position, events.c.item_type, events.c.item_id)
        .where(events.c.position > after, events.c.position <= head, events.c.item_type.in_(item_types),
               or_(visible_to(events, reader), was_sent))
        .order_by(events.c.position).limit(limit)).all()
    return [Touched(int(r.position), str(r.item_type), str(r.item_id)) for r in rows]


def mark_sent(conn: Connection, node_id: str, item_type: str, item_id: int | str) -> None:
    conn.execute(insert_or_ignore(conn.dialect.name, feed_sent).values(
        node_id=node_id, item_type=item_type, item_id=str(item_id)))


def take_back(conn: Connection, node_id: str, item_type: str, item_id: int | str) -> bool:
    """Forget that the item was sent to the peer node; True when it had been (so a removal is owed)."""
    return conn.execute(delete(feed_sent).where(
        feed_sent.c.node_id == node_id, feed_sent.c.item_type == item_type,
        feed_sent.c.item_id == str(item_id))).rowcount > 0


# --- the receiving side --------------------------------------------------------------------------
def lock_feed(conn: Connection, peer_id: int) -> tuple[bool, int]:
    """(the peer is still held, the position of its log applied here), its row locked to the end of the
    transaction: one process at a time applies a page from one peer."""
    row = conn.execute(for_update(conn, select(peers.c.feed_position).where(peers.c.id == peer_id))).first()
    return (row is not None, 0 if row is None else int(row.feed_position or 0))


def feed_position(conn: Connection, peer_id: int) -> tuple[bool, int]:
    row = conn.execute(select(peers.c.feed_position).where(peers.c.id == peer_id)).first()
    return (row is not None, 0 if row is None else int(row.feed_position or 0))


def save_feed_position(conn: Connection, peer_id: int, position: int) -> None:
    conn.execute(update(peers).where(peers.c.id == peer_id).values(feed_position=position))


def local_copy(conn: Connection, origin_node: str, item_type: str, origin_id: int | str) -> int | None:
    """This node's copy of an item of another node, by its id there."""
    found = conn.execute(select(peer_items.c.item_id).where(
        peer_items.c.origin_node == origin_node, peer_items.c.item_type == item_type,
        peer_items.c.origin_id == str(origin_id))).scalar_one_or_none()
    return None if found is None else int(found)


def record_copy(conn: Connection, peer: Peer, item_type: str, item_id: int, origin_id: int | str,
                at: datetime) -> None:
    conn.execute(peer_items.insert().values(item_type=item_type, item_id=item_id, peer_id=peer.id,
                                            origin_node=peer.node_id, origin_id=str(origin_id), received_at=at))


def origin_of(conn: Connection, item_type: str, item_id: int | str) -> tuple[str, str] | None:
    """(originator node, id there) of a copy received over the feed; None for an item made here."""
    row = conn.execute(select(peer_items.c.origin_node, peer_items.c.origin_id).where(
        peer_items.c.item_type == item_type, peer_items.c.item_id == int(item_id))).first()
    if row is None:
        return None
    return str(row.origin_node), str(row.origin_id if row.origin_id is not None else item_id)


def forget_copy(conn: Connection, item_type: str, item_id: int) -> None:
    conn.execute(delete(peer_items).where(peer_items.c.item_type == item_type, peer_items.c.item_id == item_id))


def add_signed_approval(conn: Connection, operation_id: int, nation: str, origin_node: str, statement: str,
                        signature: str, at: datetime) -> bool:
    """Keep an approval's signed statement (once); True when it is new here."""
    held = conn.execute(select(signed_approvals.c.id).where(and_(
        signed_approvals.c.origin_node == origin_node, signed_approvals.c.signature == signature))).first()
    if held is not None:
        return False
    conn.execute(signed_approvals.insert().values(operation_id=operation_id, nation=nation, origin_node=origin_node,
                                                  statement=statement, signature=signature, received_at=at))
    return True


def signed_statements(conn: Connection, operation_id: int) -> list[tuple[str, str, str]]:
    """(origin node, statement, signature) of every approval of the operation carried here."""
    rows = conn.execute(select(signed_approvals).where(signed_approvals.c.operation_id == operation_id)
                        .order_by(signed_approvals.c.id))
    return [(r.origin_node, r.statement, r.signature) for r in rows]


def forget_signed(conn: Connection, operation_id: int) -> None:
    conn.execute(delete(signed_approvals).where(signed_approvals.c.operation_id == operation_id))
