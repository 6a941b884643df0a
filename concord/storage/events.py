"""The one append-only event log. Written in the same transaction as each change.

Readers see events by `position`, not by row id: the order they were committed in, given by
`storage.event_order` (the argument is there and in docs/architecture.md). An `Event`'s `id` is its
position: the number clients hold and resume after (WebSocket `since`, REST `after`, CoT resync).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Index,
    String,
    Table,
    Text,
    and_,
    cast,
    func,
    insert,
    or_,
    select,
    text,
    update,
)

from concord.clock import utc
from concord.domain.markings import Marking, Reader, within
from concord.storage.db import Tx
from concord.storage.dialect import insert_returning_ids
from concord.storage.policy import marking_from_row, marking_values, visible_to
from concord.storage.schema import TS, BigId, marking_columns, metadata

events = Table(
    "events", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", TS, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("item_type", String(40), nullable=False),
    Column("item_id", String(160), nullable=False),
    Column("actor_id", BigId, nullable=True),
    Column("actor_nation", String(3), nullable=True),
    # When set, only this person receives the event (still subject to the marking).
    Column("recipient_id", BigId, nullable=True),
    Column("request_id", String(64), nullable=True),
    Column("payload", JSON, nullable=False),
    *marking_columns(),
    # Given once the event is committed and ordered (`storage.event_order`); NULL until then.
    Column("position", BigInteger, nullable=True),
    Index("ix_events_item", "item_type", "item_id"),
    Index("ix_events_position", "position", unique=True),
    Index("ix_events_unordered", "id", sqlite_where=text("position IS NULL"),
          postgresql_where=text("position IS NULL")),
)

# Built once: constructing the statement per call costs more than executing it.
_INSERT = insert(events).returning(events.c.id)

#: A recipient no person is: an event addressed to it reaches no one (people's ids start at 1).
NO_ONE = 0


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    at: datetime
    kind: str
    item_type: str
    item_id: str
    actor_id: int | None
    actor_nation: str | None
    recipient_id: int | None
    payload: dict[str, Any]
    marking: Marking


def append_event(
    tx: Tx,
    *,
    at: datetime,
    kind: str,
    item_type: str,
    item_id: str | int,
    marking: Marking,
    payload: dict[str, Any] | None = None,
    actor_id: int | None = None,
    actor_nation: str | None = None,
    recipient_id: int | None = None,
    request_id: str | None = None,
) -> int:
    """Append one event in the caller's transaction; returns its id."""
    conn = tx.conn
    values = _values(NewEvent(at=at, kind=kind, item_type=item_type, item_id=item_id, marking=marking,
                              payload=payload or {}, actor_id=actor_id, actor_nation=actor_nation,
                              recipient_id=recipient_id, request_id=request_id))
    event_id = int(conn.execute(_INSERT, values).scalar_one())
    _remember(tx, values, event_id, marking)
    return event_id


@dataclass(frozen=True, slots=True)
class NewEvent:
    """One event for `append_events` (the arguments of `append_event`)."""

    at: datetime
    kind: str
    item_type: str
    item_id: str | int
    marking: Marking
    payload: dict[str, Any]
    actor_id: int | None = None
    actor_nation: str | None = None
    recipient_id: int | None = None
    request_id: str | None = None


def append_events(tx: Tx, new: Sequence[NewEvent]) -> list[int]:
    """Append several events in one statement (as `append_event` each, in order); returns their ids.

    For bulk work (a batch's correlations): one INSERT … RETURNING per event cost more than the rest
    of recording them. On SQLite the rows take the next rowids under the write lock (checked)."""
    if not new:
        return []
    conn = tx.conn
    rows = [_values(e) for e in new]
    ids = insert_returning_ids(conn, events, events.c.id, rows)
    for event, row, event_id in zip(new, rows, ids, strict=True):
        _remember(tx, row, event_id, event.marking)
    return ids


def _values(e: NewEvent) -> dict[str, Any]:
    return {
        "at": e.at, "kind": e.kind, "item_type": e.item_type, "item_id": str(e.item_id), "actor_id": e.actor_id,
        "actor_nation": e.actor_nation, "recipient_id": e.recipient_id, "request_id": e.request_id,
        "payload": e.payload, **marking_values(e.marking),
    }


def _remember(tx: Tx, values: dict[str, Any], event_id: int, marking: Marking) -> None:
    """What the unit of work publishes once it commits."""
    tx.event_ids.append(event_id)
    tx.events.append({**values, "id": event_id, "marking": marking})


def events_after(conn: Connection, reader: Reader, after_id: int, *, limit: int = 500,
                 kinds: Sequence[str] | None = None) -> list[Event]:
    """Events the reader may see with position > after_id, in position order."""
    query = (
        select(events)
        .where(events.c.position > after_id, visible_to(events, reader))
        .where(or_(events.c.recipient_id.is_(None), events.c.recipient_id == reader.person_id))
        .order_by(events.c.position)
        .limit(limit)
    )
    if kinds:
        query = query.where(events.c.kind.in_(list(kinds)))
    return [_event(row._mapping) for row in conn.execute(query)]


def events_for_class(conn: Connection, reader: Reader, after_id: int, limit: int) -> list[Event]:
    """Events a whole reader class (nation + clearance) may see, addressed or not, in position order.

    The live feed reads once per class and routes addressed events (`recipient_id`) to their one
    person; releasability is still decided here, in SQL, by `visible_to`.
    """
    query = (select(events).where(events.c.position > after_id, visible_to(events, reader))
             .order_by(events.c.position).limit(limit))
    return [_event(row._mapping) for row in conn.execute(query)]


def items_changed(conn: Connection, after: int, item_types: Sequence[str]) -> tuple[list[tuple[str, str]], int]:
    """What changed since position `after`, for a follower that must see every committed change:
    (item type, item id) of the events of these item types with a position above `after` or none
    yet (committed, still to be ordered: `storage.event_order`), and the top position.

    One statement, so one snapshot: its positions are a gap-free 1..top, and every event up to
    top has been read. (Reading the top in a statement of its own would let an event ordered in
    between fall above it and out of the window, unread.)"""
    top = select(func.coalesce(func.max(events.c.position), 0).label("top")).subquery()
    changed = and_(or_(events.c.position > after, events.c.position.is_(None)),
                   events.c.item_type.in_(list(item_types)))
    query = (select(top.c.top, events.c.item_type, events.c.item_id)
             .select_from(top.outerjoin(events, changed))
             .order_by(events.c.position.is_(None), events.c.position, events.c.id))
    rows = conn.execute(query).all()
    found = [(str(r.item_type), str(r.item_id)) for r in rows if r.item_type is not None]
    return found, int(rows[0].top) if rows else 0


def narrow_history(conn: Connection, marking: Marking, *, item_type: str, item_id: str | int,
                   mentioned_as: str | None = None, mentioned_in: Sequence[str] = ()) -> int:
    """Re-mark the events about one item so that each is visible only to those who may see both the
    event and the item under its current `marking` (`domain.markings.within`): called in the unit of
    work that narrows, withdraws or deletes the item, so replay (REST or WebSocket) never hands its id,
    name or content to a reader who may no longer see it. The events are those of the item itself
    (`item_type`, `item_id`) and those of `mentioned_in` item types whose payload names it as
    `mentioned_as` (a batch's STIX ids, a conflict's side). Returns how many events were re-marked."""
    about: ColumnElement[bool] = and_(events.c.item_type == item_type, events.c.item_id == str(item_id))
    if mentioned_as is not None and mentioned_in:
        about = or_(about, and_(events.c.item_type.in_(list(mentioned_in)),
                                cast(events.c.payload, Text).contains(f'"{mentioned_as}"', autoescape=True)))
    changed = 0
    for row in conn.execute(select(events).where(about)).all():
        current = marking_from_row(dict(row._mapping))
        narrowed = within(current, marking)
        if narrowed is None:  # nobody may see both: the event stays in the log, addressed to no one
            conn.execute(update(events).where(events.c.id == row.id).values(recipient_id=NO_ONE))
            changed += 1
        elif narrowed != current:
            conn.execute(update(events).where(events.c.id == row.id).values(**marking_values(narrowed)))
            changed += 1
    return changed


def latest_event_id(conn: Connection) -> int:
    """The highest position given: every event a reader may see up to it is readable now."""
    return int(conn.execute(select(func.coalesce(func.max(events.c.position), 0))).scalar_one())


def _event(row: Any) -> Event:
    return Event(
        id=row["position"], at=utc(row["at"]), kind=row["kind"], item_type=row["item_type"],
        item_id=row["item_id"], actor_id=row["actor_id"], actor_nation=row["actor_nation"],
        recipient_id=row["recipient_id"], payload=row["payload"], marking=marking_from_row(row),
    )
