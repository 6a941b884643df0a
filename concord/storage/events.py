"""The one append-only event log. Written in the same transaction as each change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Connection,
    DateTime,
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
from concord.storage.policy import marking_from_row, marking_values, visible_to
from concord.storage.schema import BigId, ids_of_insert, marking_columns, metadata

events = Table(
    "events", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
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
    Index("ix_events_item", "item_type", "item_id"),
)

# Built once: constructing the statement per call costs more than executing it.
_INSERT = insert(events).returning(events.c.id)

#: A recipient no person is: an event addressed to it reaches no one (people's ids start at 1).
NO_ONE = 0

# Any constant: one advisory lock key serialising event appends on PostgreSQL.
_EVENT_LOCK = 7_340_001


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
    _serialise_appends(conn)
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
    _serialise_appends(conn)
    if conn.dialect.name == "postgresql":
        result = conn.execute(insert(events).returning(events.c.id, sort_by_parameter_order=True), rows)
        ids = [int(i) for i in result.scalars()]
    else:
        allocated = ids_of_insert(conn, events.c.id, lambda: conn.execute(insert(events), rows), len(rows))
        if allocated is None:  # pragma: no cover - not SQLite's behaviour
            raise RuntimeError("event ids were not allocated in order")
        ids = allocated
    for event, row, event_id in zip(new, rows, ids, strict=True):
        _remember(tx, row, event_id, event.marking)
    return ids


def _serialise_appends(conn: Connection) -> None:
    """On PostgreSQL, hold the append lock until commit: ids come from a sequence and could otherwise
    become visible out of order across concurrent transactions, and "resume after id N" must stay
    exact. (An SQLite writer holds the database's write lock already.)"""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _EVENT_LOCK})


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
    """Events the reader may see with id > after_id, in id order."""
    query = (
        select(events)
        .where(events.c.id > after_id, visible_to(events, reader))
        .where(or_(events.c.recipient_id.is_(None), events.c.recipient_id == reader.person_id))
        .order_by(events.c.id)
        .limit(limit)
    )
    if kinds:
        query = query.where(events.c.kind.in_(list(kinds)))
    return [_event(row._mapping) for row in conn.execute(query)]


def events_for_class(conn: Connection, reader: Reader, after_id: int, limit: int) -> list[Event]:
    """Events a whole reader class (nation + clearance) may see, addressed or not, in id order.

    The live feed reads once per class and routes addressed events (`recipient_id`) to their one
    person; releasability is still decided here, in SQL, by `visible_to`.
    """
    query = (select(events).where(events.c.id > after_id, visible_to(events, reader))
             .order_by(events.c.id).limit(limit))
    return [_event(row._mapping) for row in conn.execute(query)]


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
    return int(conn.execute(select(func.coalesce(func.max(events.c.id), 0))).scalar_one())


def _event(row: Any) -> Event:
    return Event(
        id=row["id"], at=utc(row["at"]), kind=row["kind"], item_type=row["item_type"],
        item_id=row["item_id"], actor_id=row["actor_id"], actor_nation=row["actor_nation"],
        recipient_id=row["recipient_id"], payload=row["payload"], marking=marking_from_row(row),
    )
