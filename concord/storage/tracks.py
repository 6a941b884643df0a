"""Tracks (last known position + history), map points, and the CoT feed read from the event log.

Every query that returns marked rows filters with `visible_to` in SQL. Upserts are built by
`storage.dialect.upsert` (INSERT … ON CONFLICT on both databases, spelt in different modules).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    delete,
    insert,
    or_,
    select,
)

from concord.clock import utc
from concord.domain.markings import Marking, Reader
from concord.domain.tracks import MapPoint, Track
from concord.storage.dialect import upsert
from concord.storage.events import Event, _event, events
from concord.storage.policy import marking_from_row, marking_values, visible_to
from concord.storage.schema import TS, BigId, marking_columns, metadata

cot_tracks = Table(
    "cot_tracks", metadata,
    Column("uid", String(256), primary_key=True),
    Column("callsign", String(120), nullable=False),
    Column("cot_type", String(128), nullable=False),
    Column("sidc", String(15), nullable=True),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("hae", Float, nullable=True),
    Column("speed", Float, nullable=True),
    Column("course", Float, nullable=True),
    Column("time", TS, nullable=False),
    Column("stale", TS, nullable=False, index=True),
    Column("group_name", String(64), nullable=True),
    Column("person_id", BigId, ForeignKey("people.id"), nullable=True),
    # The last report as received, so a client connecting later gets it exactly.
    Column("cot_xml", Text, nullable=False),
    *marking_columns(),
)

cot_track_history = Table(
    "cot_track_history", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("uid", String(256), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("hae", Float, nullable=True),
    Column("speed", Float, nullable=True),
    Column("course", Float, nullable=True),
    Column("time", TS, nullable=False, index=True),
    *marking_columns(),
    Index("ix_cot_track_history_uid_time", "uid", "time"),
)

cot_map_points = Table(
    "cot_map_points", metadata,
    Column("uid", String(256), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("cot_type", String(128), nullable=False),
    Column("sidc", String(15), nullable=True),
    Column("title", String(120), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("hae", Float, nullable=True),
    Column("remarks", Text, nullable=False),
    Column("creator_uid", String(256), nullable=True),
    Column("time", TS, nullable=False),
    Column("stale", TS, nullable=False, index=True),
    Column("person_id", BigId, ForeignKey("people.id"), nullable=True),
    Column("cot_xml", Text, nullable=False),
    *marking_columns(),
)

#: Event item types the TAK feed carries: what field clients sent, and areas drawn for them.
FEED_ITEM_TYPES = frozenset({"track", "map_point", "chat", "drawing", "cot_event", "operation", "site", "message"})


@dataclass(frozen=True, slots=True)
class PositionRow:
    uid: str
    lat: float
    lon: float
    hae: float | None
    speed: float | None
    course: float | None
    time: datetime
    marking: Marking


_UPSERTS: dict[tuple[str, str], Any] = {}
_INSERT_HISTORY = insert(cot_track_history)


def _upsert_statement(conn: Connection, table: Table) -> Any:
    """INSERT … ON CONFLICT (uid) DO UPDATE, built once per dialect and table (it is executed a lot)."""
    key = (conn.dialect.name, table.name)
    statement = _UPSERTS.get(key)
    if statement is None:
        # Only the nation that first reported a uid moves it: the service checks the owner before, but a
        # partner reporting the same new uid at that moment would otherwise overwrite it (a cross-nation write).
        statement = _UPSERTS[key] = upsert(conn.dialect.name, table, ["uid"], only_if_same=["m_originator"])
    return statement


@dataclass(frozen=True, slots=True)
class Save:
    """One report to store: a track position or a map point, with its marking and CoT."""

    item: Track | MapPoint
    marking: Marking
    cot_xml: str


def owner_nations(conn: Connection, table: Table, uids: set[str]) -> dict[str, str]:
    """The originators of existing tracks or map points (an integrity check, never shown to anyone)."""
    if not uids:
        return {}
    rows = conn.execute(select(table.c.uid, table.c.m_originator).where(table.c.uid.in_(sorted(uids))))
    return {r.uid: r.m_originator for r in rows}


def device_person(conn: Connection, uid: str) -> int | None:
    """The person whose TAK device reports as `uid` (to address a direct GeoChat message)."""
    value = conn.execute(select(cot_tracks.c.person_id).where(cot_tracks.c.uid == uid)).scalar_one_or_none()
    return None if value is None else int(value)


def save_tracks(conn: Connection, saves: list[Save], *, person_id: int | None) -> None:
    """Every position goes into the history; each track keeps only its newest position."""
    if not saves:
        return
    conn.execute(_INSERT_HISTORY, [_history_row(s) for s in saves])
    newest: dict[str, Save] = {}
    for save in saves:
        current = newest.get(save.item.uid)
        if current is None or save.item.time >= current.item.time:
            newest[save.item.uid] = save
    conn.execute(_upsert_statement(conn, cot_tracks), [_track_row(s, person_id) for s in newest.values()])


def save_map_points(conn: Connection, saves: list[Save], *, person_id: int | None) -> None:
    newest = {s.item.uid: s for s in saves}
    if newest:
        conn.execute(_upsert_statement(conn, cot_map_points), [_point_row(s, person_id) for s in newest.values()])


def _history_row(save: Save) -> dict[str, Any]:
    track = save.item
    assert isinstance(track, Track)
    return {"uid": track.uid, "lat": track.lat, "lon": track.lon, "hae": track.hae, "speed": track.speed,
            "course": track.course, "time": track.time, **marking_values(save.marking)}


def _track_row(save: Save, person_id: int | None) -> dict[str, Any]:
    track = save.item
    assert isinstance(track, Track)
    return {
        "uid": track.uid, "callsign": track.callsign[:120], "cot_type": track.cot_type, "sidc": track.sidc,
        "lat": track.lat, "lon": track.lon, "hae": track.hae, "speed": track.speed, "course": track.course,
        "time": track.time, "stale": track.stale, "group_name": track.group[:64] if track.group else None,
        "person_id": person_id, "cot_xml": save.cot_xml, **marking_values(save.marking),
    }


def _point_row(save: Save, person_id: int | None) -> dict[str, Any]:
    point = save.item
    assert isinstance(point, MapPoint)
    return {
        "uid": point.uid, "kind": point.kind, "cot_type": point.cot_type, "sidc": point.sidc,
        "title": point.title[:120], "lat": point.lat, "lon": point.lon, "hae": point.hae,
        "remarks": point.remarks, "creator_uid": point.creator_uid, "time": point.time, "stale": point.stale,
        "person_id": person_id, "cot_xml": save.cot_xml, **marking_values(save.marking),
    }


def current_tracks(conn: Connection, reader: Reader, now: datetime) -> list[dict[str, Any]]:
    """Tracks the reader may see that are not stale at `now`."""
    rows = conn.execute(select(cot_tracks).where(visible_to(cot_tracks, reader), cot_tracks.c.stale > now)
                        .order_by(cot_tracks.c.callsign))
    return [_track_dict(r._mapping) for r in rows]


def current_map_points(conn: Connection, reader: Reader, now: datetime) -> list[dict[str, Any]]:
    rows = conn.execute(select(cot_map_points)
                        .where(visible_to(cot_map_points, reader), cot_map_points.c.stale > now)
                        .order_by(cot_map_points.c.time))
    return [_point_dict(r._mapping) for r in rows]


def picture_xml(conn: Connection, reader: Reader, now: datetime) -> list[tuple[str, str, Marking, str]]:
    """The current picture as CoT, oldest first: (item type, uid, marking, CoT XML) of the live
    tracks and map points the reader may see."""
    out: list[tuple[datetime, tuple[str, str, Marking, str]]] = []
    for kind, table in (("track", cot_tracks), ("map_point", cot_map_points)):
        rows = conn.execute(select(table).where(visible_to(table, reader), table.c.stale > now))
        for r in rows:
            mapping: Any = r._mapping
            out.append((utc(r.time), (kind, r.uid, marking_from_row(mapping), r.cot_xml)))
    return [item for _, item in sorted(out, key=lambda pair: pair[0])]


def track_visible(conn: Connection, reader: Reader, uid: str) -> bool:
    """Whether the track `uid` exists and its current report is one the reader may see."""
    return conn.execute(select(cot_tracks.c.uid).where(cot_tracks.c.uid == uid, visible_to(cot_tracks, reader))
                        ).first() is not None


def track_history(conn: Connection, reader: Reader, uid: str, since: datetime) -> list[PositionRow]:
    rows = conn.execute(select(cot_track_history)
                        .where(cot_track_history.c.uid == uid, cot_track_history.c.time >= since,
                               visible_to(cot_track_history, reader))
                        .order_by(cot_track_history.c.time, cot_track_history.c.id))
    out = []
    for r in rows:
        mapping: Any = r._mapping
        out.append(PositionRow(r.uid, r.lat, r.lon, r.hae, r.speed, r.course, utc(r.time), marking_from_row(mapping)))
    return out


def prune_history(conn: Connection, before: datetime) -> int:
    return int(conn.execute(delete(cot_track_history).where(cot_track_history.c.time < before)).rowcount or 0)


def feed_after(conn: Connection, reader: Reader, after_id: int, *, limit: int = 1000) -> list[Event]:
    """Events the reader may see with id > after_id, in id order; the caller keeps FEED_ITEM_TYPES.

    The item types are deliberately not filtered here: with that condition SQLite plans the query on
    the (item_type, item_id) index and sorts every matching row for each batch; walking the
    primary key from `after_id` stays proportional to the batch.
    """
    query = (
        select(events)
        .where(events.c.position > after_id, visible_to(events, reader))
        .where(or_(events.c.recipient_id.is_(None), events.c.recipient_id == reader.person_id))
        .order_by(events.c.position)
        .limit(limit)
    )
    return [_event(row._mapping) for row in conn.execute(query)]


def _track_dict(row: Any) -> dict[str, Any]:
    return {
        "uid": row["uid"], "callsign": row["callsign"], "cot_type": row["cot_type"], "sidc": row["sidc"],
        "lat": row["lat"], "lon": row["lon"], "hae": row["hae"], "speed": row["speed"], "course": row["course"],
        "time": utc(row["time"]), "stale": utc(row["stale"]), "group": row["group_name"],
        "marking": marking_from_row(row),
    }


def _point_dict(row: Any) -> dict[str, Any]:
    return {
        "uid": row["uid"], "kind": row["kind"], "cot_type": row["cot_type"], "sidc": row["sidc"],
        "title": row["title"], "lat": row["lat"], "lon": row["lon"], "hae": row["hae"],
        "remarks": row["remarks"], "creator_uid": row["creator_uid"], "time": utc(row["time"]),
        "stale": utc(row["stale"]), "marking": marking_from_row(row),
    }
