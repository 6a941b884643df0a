"""Field reports from TAK clients, and what TAK clients may receive.

* `identify`: a TAK connection acts as a person (the client certificate's CN, or the configured
  plain-TCP identity). The person must exist, be enabled, hold a current appointment, and belong to
  the nation the certificate names.
* `ingest`: one unit of work per batch of reports from one client. Positions update the track and
  its history, markers and spot reports become map points, GeoChat becomes a chat message, other
  events are kept as they are; each is written with its marking and an event in the same
  transaction. GeoChat is also posted, as the sender's person and through the messaging service's
  own rules, into the Concord channel its room maps to (a direct message: the two people's direct
  channel); a post those rules refuse is dropped and counted by reason, the GeoChat itself still
  goes to the TAK clients that may see it. A report that is not acceptable (e.g. a uid owned by
  another nation's track) is skipped, named, and does not stop the batch.
* `feed` / `picture`: what a person may see, read through the releasability filter in SQL.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shapely.geometry import mapping as shapely_mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection

from concord.clock import Clock
from concord.domain.channels import ChannelKind
from concord.domain.cot import CotEvent, EventClass, parse_time
from concord.domain.errors import ConcordError, Forbidden, Invalid, NotFound, Unauthenticated
from concord.domain.markings import Level, Marking, Reader, Tlp
from concord.domain.operations import OperationStatus
from concord.domain.people import Actor
from concord.domain.sites import SiteStatus
from concord.domain.tracks import (
    CHAT_LIFETIME,
    MAX_CHAT_TEXT,
    OPERATION_COLOUR,
    PROTECTED_COLOUR,
    SHAPE_LIFETIME,
    ChatMessage,
    FieldMarkings,
    Shape,
    channel_for_chatroom,
    chat_from_event,
    chat_uid,
    chatroom_for_channel,
    history_cutoff,
    map_point_from_event,
    outline,
    track_from_event,
)
from concord.services.audit import ReadItem
from concord.services.messages import MessagingService
from concord.settings import CotSettings
from concord.storage import channels as channel_store
from concord.storage import nations as nation_store
from concord.storage import operations as operation_store
from concord.storage import people as people_store
from concord.storage import sites as site_store
from concord.storage import tracks as store
from concord.storage.db import Database, Tx
from concord.storage.events import Event, append_event, latest_event_id

log = logging.getLogger(__name__)

#: Marks a channel message posted from GeoChat (in its event), so it is not sent back out as GeoChat.
FROM_COT = "cot"
#: GeoChat carries no precedence: field chat is ROUTINE in Concord.
FIELD_CHAT_PRECEDENCE = "ROUTINE"

_ITEM = {
    EventClass.POSITION: ("cot.position", "track"),
    EventClass.MARKER: ("cot.marker", "map_point"),
    EventClass.CHAT: ("cot.chat", "chat"),
    EventClass.SHAPE: ("cot.drawing", "drawing"),
    EventClass.OTHER: ("cot.event", "cot_event"),
}


@dataclass(frozen=True, slots=True)
class FieldIdentity:
    person_id: int
    username: str
    nation: str
    reader: Reader
    actor: Actor


@dataclass(frozen=True, slots=True)
class Inbound:
    """One report as received: the parsed event, its class, and its XML to store and relay.

    A position the gateway has already relayed to its own clients (`relayed_by` names that gateway)
    carries the marking it was relayed with, which is the one stored.
    """

    event: CotEvent
    kind: EventClass
    xml: bytes
    marking: Marking | None = None
    relayed_by: str | None = None


#: What a TAK client is sent, before the CoT adapter renders it (`cot.render.content_to_xml`): a
#: report as it was sent (its XML text, stored), a channel message as GeoChat, or an area to draw.
FieldContent = str | ChatMessage | Shape


@dataclass(frozen=True, slots=True)
class FeedItem:
    event_id: int
    origin: str | None          # the connection that sent it, which must not get it back
    uid: str
    content: FieldContent
    supersedable: bool
    stale: datetime
    read: ReadItem              # what a client receiving it has read (for the audit log)
    relayed_by: str | None = None   # the gateway that relayed it to its own clients as it came in


class TrackService:
    def __init__(self, db: Database, clock: Clock, settings: CotSettings,
                 messaging: MessagingService | None = None) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.markings: FieldMarkings = settings.markings.field_markings()
        self.messaging = messaging
        #: GeoChat not posted into a channel, by reason ("no_channel", "may_not_post", "marking", ...).
        self.chat_posts_dropped: Counter[str] = Counter()
        #: Relayed positions not stored because a newer one of the same uid in the same batch was
        #: (see `ingest`).
        self.positions_coalesced = 0

    # --- who is connected -----------------------------------------------------------------------

    def identify(self, username: str, certificate_nation: str | None = None,
                 credential_epoch: int | None = None) -> FieldIdentity:
        """The person a TAK connection acts as, or `Unauthenticated`. A certificate issued before the
        person's latest password reset, disable or second-factor change (`credential_epoch`) is refused."""
        with self.db.read() as conn:
            row = people_store.find_person(conn, username)
            if row is None or row.disabled:
                raise Unauthenticated(f"no enabled person {username!r}", field="username")
            if credential_epoch is not None and credential_epoch != row.credential_epoch:
                raise Unauthenticated("the certificate was issued before the person's credentials last changed; "
                                      "enrol again", field="certificate")
            appointments = people_store.appointments_of(conn, [row.id])[row.id]
        if certificate_nation is not None and certificate_nation != row.nation:
            raise Unauthenticated("the certificate's nation is not the person's", field="nation")
        actor = Actor.at(person_id=row.id, username=row.username, display_name=row.display_name,
                         nation=row.nation, clearance=row.clearance, appointments=appointments,
                         now=self.clock.now())
        if not actor.roles:
            raise Unauthenticated(f"{username} holds no current appointment", field="username")
        return FieldIdentity(row.id, row.username, row.nation, actor.reader, actor)

    # --- reports in ------------------------------------------------------------------------------

    def ingest(self, who: FieldIdentity, origin: str,
               reports: list[Inbound]) -> list[tuple[Inbound, Invalid]]:
        """Store a batch of reports from one connection in one unit of work; return those refused.

        Of the positions a gateway already relayed (`relayed_by`), only the newest of each uid in
        the batch is stored (track, history and event): the others were delivered as they came in,
        and a batch spans a moment of a uid's path (the store keeps up with whatever rate clients
        send at; each one left out is counted in `positions_coalesced`). Other positions are each
        stored.
        """
        refused: list[tuple[Inbound, Invalid]] = []
        newest_relayed: dict[str, int] = {}
        for index, report in enumerate(reports):
            if report.relayed_by is not None and report.kind is EventClass.POSITION:
                current = newest_relayed.get(report.event.uid)
                if current is None or report.event.time >= reports[current].event.time:
                    newest_relayed[report.event.uid] = index
        with self.db.write() as tx:
            batch = _Batch(
                partners=[n.code for n in nation_store.list_nations(tx.conn)],
                track_owners=store.owner_nations(tx.conn, store.cot_tracks, {
                    r.event.uid for r in reports if r.kind is EventClass.POSITION}),
                point_owners=store.owner_nations(tx.conn, store.cot_map_points, {
                    r.event.uid for r in reports if r.kind is EventClass.MARKER}),
            )
            coalesced = 0
            for index, report in enumerate(reports):
                if report.relayed_by is not None and newest_relayed.get(report.event.uid, index) != index:
                    coalesced += 1
                    continue
                try:
                    self._ingest_one(tx, who, origin, report, batch)
                except Invalid as exc:
                    refused.append((report, exc))
            store.save_tracks(tx.conn, batch.tracks, person_id=who.person_id)
            store.save_map_points(tx.conn, batch.points, person_id=who.person_id)
        self.positions_coalesced += coalesced
        return refused

    def partners(self) -> list[str]:
        """The partner nations (a default field marking is releasable to all of them)."""
        with self.db.read() as conn:
            return [n.code for n in nation_store.list_nations(conn)]

    def track_owners(self, uids: set[str]) -> dict[str, str]:
        """The nation each existing track belongs to (a uid belongs to the nation that first reported it)."""
        with self.db.read() as conn:
            return store.owner_nations(conn, store.cot_tracks, uids)

    def _ingest_one(self, tx: Tx, who: FieldIdentity, origin: str, report: Inbound, batch: _Batch) -> None:
        event, kind = report.event, report.kind
        if kind is EventClass.CONTROL:
            raise Invalid("control messages are answered, not stored", field="type")
        group = event.group_name
        marking = report.marking if report.marking is not None else batch.markings.get(group)
        if marking is None:
            marking = batch.markings[group] = self.markings.marking_for(who.nation, group, batch.partners)
        xml = report.xml.decode("utf-8")
        if kind is EventClass.POSITION:
            _check_owner(batch.track_owners, event.uid, who.nation)
            batch.tracks.append(store.Save(track_from_event(event), marking, xml))
        elif kind is EventClass.MARKER:
            _check_owner(batch.point_owners, event.uid, who.nation)
            batch.points.append(store.Save(map_point_from_event(event), marking, xml))
        payload: dict[str, Any] = {"cot": xml, "origin": origin, "uid": event.uid, "type": event.type,
                                   "stale": event.stale.isoformat()}
        if report.relayed_by is not None:
            payload["relayed_by"] = report.relayed_by
        recipient_id = None
        if kind is EventClass.CHAT:
            message = chat_from_event(event)
            if message.recipient_uid is not None:
                # A direct message goes to its addressee's person only (the marking still applies).
                recipient_id = store.device_person(tx.conn, message.recipient_uid)
                if recipient_id is None:
                    raise Invalid("a direct message to a contact the centre does not know", field="chatgrp")
            payload.update(chatroom=message.chatroom, text=message.text, sender=message.sender_callsign,
                           channel=channel_for_chatroom(message.chatroom, self.settings.field_channel),
                           message_id=message.message_id)
            self._post_to_channel(tx, who, message, marking, recipient_id, batch)
        event_kind, item_type = _ITEM[kind]
        append_event(tx, at=self.clock.now(), kind=event_kind, item_type=item_type, item_id=event.uid[:160],
                     marking=marking, payload=payload, actor_id=who.person_id, actor_nation=who.nation,
                     recipient_id=recipient_id)

    def _post_to_channel(self, tx: Tx, who: FieldIdentity, message: ChatMessage, marking: Marking,
                         recipient_id: int | None, batch: _Batch) -> None:
        """Post a GeoChat into its Concord channel through the messaging service (membership, who may
        post, the channel's ceiling all apply). A refusal is counted and logged, never raised: every
        check runs before the service writes, so the batch's unit of work is left as it was."""
        if self.messaging is None:
            return
        try:
            if recipient_id is not None:
                # The direct conversation of the two people (the service reuses the pair's channel).
                ceiling = Marking.build(Level.SECRET, who.nation, batch.partners, Tlp.AMBER)
                channel_id = self.messaging.channels.create_channel_in(
                    tx, who.actor, kind=ChannelKind.DIRECT.value, name=f"GeoChat {message.chatroom}"[:80],
                    max_marking=ceiling, members={who.person_id, recipient_id}).id
                batch.channels = None     # the sender may take part in one more channel now
            else:
                name = channel_for_chatroom(message.chatroom, self.settings.field_channel)
                if batch.channels is None:
                    # The sender's channels by name (the first of a name, as listed), once per batch.
                    batch.channels = {}
                    for channel in channel_store.channels_for(tx.conn, who.reader):
                        if channel.id is not None:
                            batch.channels.setdefault(channel.name, channel.id)
                channel_id = batch.channels.get(name)
                if channel_id is None:
                    raise NotFound(f"no channel {name!r} that {who.username} takes part in", field="chatroom")
            assert channel_id is not None
            self.messaging.post_in(tx, who.actor, channel_id, body=message.text, precedence=FIELD_CHAT_PRECEDENCE,
                                   marking=marking, source=FROM_COT)
        except ConcordError as exc:
            reason = ("no_channel" if isinstance(exc, NotFound) else "may_not_post" if isinstance(exc, Forbidden)
                      else "marking" if (exc.field or "").startswith("marking") else "invalid")
            self.chat_posts_dropped[reason] += 1
            log.info("GeoChat %s from %s not posted to a channel (%s): %s", message.message_id, who.username,
                     reason, exc.message)

    # --- what a person may receive ---------------------------------------------------------------

    def latest_event_id(self) -> int:
        with self.db.read() as conn:
            return latest_event_id(conn)

    def picture(self, reader: Reader) -> list[tuple[FieldContent, ReadItem]]:
        """The current picture for a client that just connected: the approved and active operations'
        areas and the protected sites it may see (those that can be drawn), then live tracks and map
        points."""
        now = self.clock.now()
        out: list[tuple[FieldContent, ReadItem]] = []
        with self.db.read() as conn:
            areas: list[tuple[str, int, Marking]] = [
                ("operation", row.operation.id, row.operation.plan.marking)
                for status in SHOWN_OPERATIONS
                for row in operation_store.list_visible(conn, reader, status=status)]
            areas += [("site", row.id, row.spec.marking) for row in site_store.list_visible(conn, reader)]
            for item_type, item_id, marking in areas:
                shape = area_shape(conn, reader, item_type, str(item_id))
                if shape is not None:
                    with contextlib.suppress(Invalid):
                        outline(shape)
                        out.append((shape, ReadItem(item_type, item_id, marking, None)))
            out += [(xml, ReadItem(kind, uid, marking, None))
                    for kind, uid, marking, xml in store.picture_xml(conn, reader, now)]
        return out

    def feed(self, reader: Reader, after_id: int, up_to: int = 0, limit: int = 1000) -> tuple[list[FeedItem], int]:
        """New items for a reader after `after_id`, and the id to continue from.

        `up_to` is the highest event id known to be committed (from the bus): when the read returns
        less than a full batch, every event up to it has been seen, including those the reader may
        not see, so the cursor moves past them.
        """
        now = self.clock.now()
        items = []
        with self.db.read() as conn:
            rows = store.feed_after(conn, reader, after_id, limit=limit)
            for row in rows:
                if row.item_type not in store.FEED_ITEM_TYPES:
                    continue
                item = self._feed_item(conn, reader, row, now)
                if item is not None and item.stale > now:
                    items.append(item)
        cursor = rows[-1].id if rows else after_id
        if len(rows) < limit:
            cursor = max(cursor, up_to)
        return items, cursor

    def _feed_item(self, conn: Connection, reader: Reader, row: Event, now: datetime) -> FeedItem | None:
        payload = row.payload
        if "cot" in payload:
            return FeedItem(row.id, payload.get("origin"), str(payload.get("uid", row.item_id)),
                            str(payload["cot"]), row.kind == "cot.position",
                            parse_time(str(payload.get("stale")), "stale"), _read(row),
                            payload.get("relayed_by"))
        if row.kind == "message.posted":
            return self._channel_message(conn, reader, row)
        if row.item_type in ("operation", "site"):
            shape = area_shape(conn, reader, row.item_type, row.item_id)
            if shape is None:
                return None
            try:
                outline(shape)
            except Invalid:
                return None     # an area that cannot be drawn is not sent
            return FeedItem(row.id, None, shape.uid, shape, False, now + SHAPE_LIFETIME, _read(row))
        return None

    def _channel_message(self, conn: Connection, reader: Reader, row: Event) -> FeedItem | None:
        """A Concord channel message → GeoChat in the room of the channel's name (the field channel is
        "All Chat Rooms"), so field units read the centre's traffic they may see: the message's
        marking was checked with the event, the channel must be one the reader takes part in."""
        payload = row.payload
        body = payload.get("body")
        if not isinstance(body, str) or not body or payload.get("retracted_at"):
            return None
        if payload.get("source") == FROM_COT:
            return None     # GeoChat from the field: TAK clients already get it as sent (`cot.chat`)
        names = {c.id: c.name for c in channel_store.channels_for(conn, reader)}
        channel = names.get(payload.get("channel_id"))
        if channel is None:
            return None
        author = payload.get("author_id")
        posted = parse_time(str(payload.get("posted_at") or row.at.isoformat()), "posted_at")
        message = ChatMessage(
            message_id=f"concord-{row.item_id}",
            chatroom=chatroom_for_channel(channel, self.settings.field_channel),
            sender_uid=f"concord-person-{author}",
            sender_callsign=str(payload.get("author_name") or f"{payload.get('author_nation', '')} centre").strip(),
            text=body[:MAX_CHAT_TEXT], time=posted)
        return FeedItem(row.id, None, chat_uid(message), message, False, message.time + CHAT_LIFETIME, _read(row))

    # --- the map for the web picture -----------------------------------------------------------------

    def tracks(self, reader: Reader) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            return store.current_tracks(conn, reader, self.clock.now())

    def map_points(self, reader: Reader) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            return store.current_map_points(conn, reader, self.clock.now())

    def history(self, reader: Reader, uid: str) -> list[store.PositionRow]:
        """The positions of a track the reader may see; a track it may not see is absent (404)."""
        since = history_cutoff(self.clock.now(), self._retention())
        with self.db.read() as conn:
            if not store.track_visible(conn, reader, uid):
                raise NotFound("no such track", field="uid")
            return store.track_history(conn, reader, uid, since)

    def prune_history(self) -> int:
        """Drop positions older than the retention period (last known positions stay in the tracks)."""
        cutoff = history_cutoff(self.clock.now(), self._retention())
        with self.db.write() as tx:
            return store.prune_history(tx.conn, cutoff)

    def _retention(self) -> timedelta:
        return timedelta(hours=self.settings.track_history_hours)


@dataclass
class _Batch:
    partners: list[str]
    track_owners: dict[str, str]
    point_owners: dict[str, str]
    markings: dict[str | None, Marking] = field(default_factory=dict)   # by TAK group, for this sender
    tracks: list[store.Save] = field(default_factory=list)
    points: list[store.Save] = field(default_factory=list)
    #: The sender's channels by name, read at the batch's first GeoChat to a room (`_post_to_channel`).
    channels: dict[str, int] | None = None


def _check_owner(owners: dict[str, str], uid: str, nation: str) -> None:
    # A uid belongs to the nation that first reported it: another nation's client cannot move or
    # re-mark it (that would be spoofing, or widening its release).
    owner = owners.setdefault(uid, nation)
    if owner != nation:
        raise Invalid(f"uid {uid!r} is another nation's item", field="uid")


def _read(row: Event) -> ReadItem:
    return ReadItem(row.item_type, row.item_id, row.marking, None)


#: Operations whose area field units are shown: approved or under way.
SHOWN_OPERATIONS = frozenset({OperationStatus.APPROVED, OperationStatus.ACTIVE})
#: A protected site given as a point is drawn as a circle at least this wide.
MIN_SITE_RADIUS_M = 50.0


def area_shape(conn: Connection, reader: Reader, item_type: str, item_id: str) -> Shape | None:
    """The drawing of an operation's area or a protected site as it is now, read through the policy
    (None when the reader may not see it, or it is not to be shown: a draft or finished operation, a
    retired site)."""
    if not item_id.isdigit():
        return None
    if item_type == "operation":
        found = operation_store.get_visible(conn, reader, int(item_id))
        if found is None or found.operation.status not in SHOWN_OPERATIONS:
            return None
        plan = found.operation.plan
        return Shape(f"concord-operation-{item_id}", plan.name[:120], shapely_mapping(_largest(plan.area)),
                     remarks=plan.objective[:500], colour=OPERATION_COLOUR)
    site = site_store.get_visible(conn, reader, int(item_id))
    if site is None or site.status is SiteStatus.RETIRED:
        return None
    geometry = site.spec.geometry
    radius = max(site.spec.buffer_m, MIN_SITE_RADIUS_M) if geometry.geom_type == "Point" else None
    return Shape(f"concord-site-{item_id}", site.spec.name[:120], shapely_mapping(_largest(geometry)), radius,
                 f"Protected site ({site.spec.kind.value})", PROTECTED_COLOUR)


def _largest(geometry: BaseGeometry) -> BaseGeometry:
    """TAK drawings are single shapes: a multi-part area is drawn by its largest part."""
    parts = getattr(geometry, "geoms", None)
    return max(parts, key=lambda g: g.area) if parts else geometry

