"""What CoT events mean to the centre: tracks, GeoChat messages, map points, and the drawing shapes
that show operation areas and protected sites on TAK clients. Pure rules, no I/O.

Event types follow the CoT type tree (MITRE CoT 2.0 `CoTtypes.xml`) as TAK clients use it:
`a-<affiliation>-<dimension>-<function…>` atoms, `b-t-f` GeoChat, `b-m-p-…` map points,
`u-d-f` / `u-d-r` / `u-d-c-c` drawings (free-form polygon, rectangle, circle).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lxml.etree import _Element

from concord.domain.cot import UNKNOWN_ERROR, CotEvent, EventClass, classify, xml_text
from concord.domain.errors import Invalid
from concord.domain.markings import Level, Marking, Tlp

# --- tracks --------------------------------------------------------------------------------------

#: CoT affiliation letter → MIL-STD-2525C standard identity (SIDC position 2).
_AFFILIATION = {"f": "F", "h": "H", "n": "N", "u": "U", "p": "P", "a": "A", "s": "S", "j": "J",
                "k": "K", "o": "U", "x": "U"}
_DIMENSIONS = set("PAGSUFX")


def sidc_for_type(cot_type: str) -> str | None:
    """MIL-STD-2525C symbol code for an `a-…` CoT type (`a-f-G-U-C` → `SFGPUC---------`).

    CoT atoms embed the 2525 hierarchy: affiliation, battle dimension, then one letter per level
    of the function ID. The status is "present" (P); modifiers and country are left unset.
    """
    parts = cot_type.split("-")
    if len(parts) < 3 or parts[0] != "a" or parts[1] not in _AFFILIATION or parts[2] not in _DIMENSIONS:
        return None
    function = "".join(p for p in parts[3:] if len(p) == 1 and p.isalnum())[:6]
    return f"S{_AFFILIATION[parts[1]]}{parts[2]}P{function:-<6}-----"


@dataclass(frozen=True, slots=True)
class Track:
    uid: str
    callsign: str
    cot_type: str
    sidc: str | None
    lat: float
    lon: float
    hae: float | None
    speed: float | None       # metres per second
    course: float | None      # degrees true
    time: datetime
    stale: datetime
    group: str | None

    def is_stale(self, now: datetime) -> bool:
        return now >= self.stale


def track_from_event(event: CotEvent) -> Track:
    if classify(event) is not EventClass.POSITION:
        raise Invalid(f"{event.type} is not a position report", field="type")
    track = event.find("track")
    return Track(
        uid=event.uid,
        callsign=event.callsign or event.uid,
        cot_type=event.type,
        sidc=sidc_for_type(event.type),
        lat=event.lat, lon=event.lon,
        hae=None if event.hae == UNKNOWN_ERROR else event.hae,
        speed=_optional_float(track, "speed"),
        course=_optional_float(track, "course"),
        time=event.time, stale=event.stale,
        group=event.group_name,
    )


def history_cutoff(now: datetime, retention: timedelta) -> datetime:
    """Positions older than this are removed from a track's history (the last one is always kept)."""
    if retention <= timedelta(0):
        raise Invalid("track history retention must be positive", field="retention")
    return now - retention


def _optional_float(element: _Element | None, name: str) -> float | None:
    if element is None or element.get(name) in (None, ""):
        return None
    try:
        return float(element.get(name, ""))
    except ValueError:
        return None


# --- markings of field items -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MarkingRule:
    """How items from field clients are marked: a nation's default, or a TAK group's override.

    `releasable_to` None means every partner nation of the centre; an empty set keeps the item
    inside the sender's nation.
    """

    level: Level = Level.RESTRICTED
    releasable_to: frozenset[str] | None = None
    tlp: Tlp = Tlp.AMBER

    def for_originator(self, nation: str, partners: Iterable[str]) -> Marking:
        release = frozenset(partners) if self.releasable_to is None else self.releasable_to
        return Marking.build(self.level, nation, release, self.tlp)


@dataclass(frozen=True, slots=True)
class FieldMarkings:
    """`by_group` (keyed by the TAK `__group` name) wins over `by_nation`, which wins over `default`."""

    default: MarkingRule = MarkingRule()
    by_nation: Mapping[str, MarkingRule] = field(default_factory=dict)
    by_group: Mapping[str, MarkingRule] = field(default_factory=dict)

    def marking_for(self, nation: str, group: str | None, partners: Iterable[str]) -> Marking:
        rule = (self.by_group.get(group) if group else None) or self.by_nation.get(nation) or self.default
        return rule.for_originator(nation, partners)


# --- GeoChat ---------------------------------------------------------------------------------------

#: The GeoChat room every TAK client shows; it maps to the centre's default field channel.
ALL_CHAT_ROOMS = "All Chat Rooms"
MAX_CHAT_TEXT = 4000


@dataclass(frozen=True, slots=True)
class ChatMessage:
    message_id: str
    chatroom: str
    sender_uid: str
    sender_callsign: str
    text: str
    time: datetime
    #: A direct message's addressee (a contact's device uid); None for a room everyone in it reads.
    recipient_uid: str | None = None


def chat_from_event(event: CotEvent) -> ChatMessage:
    """A GeoChat `b-t-f` event (uid `GeoChat.<sender>.<room>.<message id>`) → message."""
    if classify(event) is not EventClass.CHAT:
        raise Invalid(f"{event.type} is not GeoChat", field="type")
    chat = event.find("__chat")
    remarks = event.find("remarks")
    if chat is None or remarks is None:
        raise Invalid("GeoChat needs <__chat> and <remarks>", field="detail")
    text = (remarks.text or "").strip()
    if not text or len(text) > MAX_CHAT_TEXT:
        raise Invalid(f"chat text must be 1..{MAX_CHAT_TEXT} characters", field="remarks")
    link = event.find("link")
    sender_uid = (link.get("uid") if link is not None else None) or _sender_from_uid(event.uid)
    room = chat.get("chatroom") or chat.get("id") or ALL_CHAT_ROOMS
    # ATAK writes a direct message with the addressee's device uid as the chat id and as chatgrp
    # uid1 (and the addressee's callsign as "chatroom"); a room has its own name there, and a group
    # chat lists every member (uid1, uid2, ...).
    group = chat.find("chatgrp")
    other = group.get("uid1") if group is not None and group.get("uid2") is None else None
    direct = other is not None and other == chat.get("id") and other != room
    return ChatMessage(
        message_id=chat.get("messageId") or event.uid,
        chatroom=room,
        sender_uid=sender_uid,
        sender_callsign=chat.get("senderCallsign") or sender_uid,
        text=text,
        time=event.time,
        recipient_uid=other if direct else None,
    )


#: How long a GeoChat message stays current on TAK clients.
CHAT_LIFETIME = timedelta(days=1)


def chat_uid(message: ChatMessage) -> str:
    """The uid of a message as GeoChat (`GeoChat.<sender>.<room>.<message id>`), as ATAK writes it."""
    return f"GeoChat.{xml_text(message.sender_uid)}.{xml_text(message.chatroom)}.{xml_text(message.message_id)}"


def channel_for_chatroom(chatroom: str, field_channel: str) -> str:
    """GeoChat rooms are Concord channels of the same name; "All Chat Rooms" is the field channel."""
    return field_channel if chatroom == ALL_CHAT_ROOMS else chatroom


def chatroom_for_channel(channel: str, field_channel: str) -> str:
    return ALL_CHAT_ROOMS if channel == field_channel else channel


def _sender_from_uid(uid: str) -> str:
    parts = uid.split(".")
    return parts[1] if len(parts) >= 3 and parts[0] == "GeoChat" else uid


# --- map points ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MapPoint:
    uid: str
    kind: str                 # "spot" (b-m-p-s-…), "waypoint" (b-m-p-w…), "marker" (a-… placed by hand)
    cot_type: str
    sidc: str | None
    title: str
    lat: float
    lon: float
    hae: float | None
    remarks: str
    creator_uid: str | None
    time: datetime
    stale: datetime


def map_point_from_event(event: CotEvent) -> MapPoint:
    if classify(event) is not EventClass.MARKER:
        raise Invalid(f"{event.type} is not a marker or spot report", field="type")
    remarks = event.find("remarks")
    creator = event.find("link[@relation='p-p']")
    if event.type.startswith("b-m-p-s"):
        kind = "spot"
    elif event.type.startswith("b-m-p-w") or event.type.startswith("b-m-p-c"):
        kind = "waypoint"
    else:
        kind = "marker"
    return MapPoint(
        uid=event.uid, kind=kind, cot_type=event.type, sidc=sidc_for_type(event.type),
        title=event.callsign or event.uid, lat=event.lat, lon=event.lon,
        hae=None if event.hae == UNKNOWN_ERROR else event.hae,
        remarks=(remarks.text or "").strip() if remarks is not None else "",
        creator_uid=creator.get("uid") if creator is not None else None,
        time=event.time, stale=event.stale,
    )


# --- drawing shapes out ------------------------------------------------------------------------------

#: ARGB colours as TAK writes them (signed 32-bit): operation areas blue, protected sites red.
OPERATION_COLOUR = -16776961     # 0xFF0000FF
PROTECTED_COLOUR = -65536        # 0xFFFF0000


@dataclass(frozen=True, slots=True)
class Shape:
    uid: str
    title: str
    geometry: Mapping[str, object]      # GeoJSON (RFC 7946) Polygon, or Point with radius_m
    radius_m: float | None = None
    remarks: str = ""
    colour: int = OPERATION_COLOUR


#: How long a drawing of an area stays current on TAK clients (it is sent again with each change).
SHAPE_LIFETIME = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Outline:
    """How a shape is drawn on TAK clients: `u-d-r` an axis-aligned rectangle (its four corners),
    `u-d-f` any other polygon (its ring, closed), `u-d-c-c` a point with a radius (no vertices)."""

    cot_type: str
    vertices: tuple[tuple[float, float], ...]   # (lon, lat)
    centre: tuple[float, float]                  # (lat, lon)


def outline(shape: Shape) -> Outline:
    """The drawing of a shape, or `Invalid` when its geometry cannot be drawn."""
    kind = shape.geometry.get("type")
    if kind == "Point":
        if shape.radius_m is None or shape.radius_m <= 0:
            raise Invalid("a point shape needs a positive radius", field="radius_m")
        lon, lat = _position(shape.geometry.get("coordinates"))
        return Outline("u-d-c-c", (), (lat, lon))
    if kind == "Polygon":
        ring = _exterior_ring(shape.geometry.get("coordinates"))
        cot_type = "u-d-r" if _is_rectangle(ring) else "u-d-f"
        vertices = ring[:-1] if cot_type == "u-d-r" else ring
        corners = ring[:-1]
        centre = (sum(p[1] for p in corners) / len(corners), sum(p[0] for p in corners) / len(corners))
        return Outline(cot_type, tuple(vertices), centre)
    raise Invalid("an area must be a GeoJSON Polygon or a Point with a radius", field="geometry.type")


def _position(value: object) -> tuple[float, float]:
    if (not isinstance(value, Sequence) or len(value) < 2
            or not all(isinstance(v, int | float) for v in value[:2])):
        raise Invalid("a position is [lon, lat]", field="geometry.coordinates")
    lon, lat = float(value[0]), float(value[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise Invalid("position out of range", field="geometry.coordinates")
    return lon, lat


def _exterior_ring(value: object) -> list[tuple[float, float]]:
    if not isinstance(value, Sequence) or not value or not isinstance(value[0], Sequence):
        raise Invalid("a Polygon has a list of rings", field="geometry.coordinates")
    ring = [_position(p) for p in value[0]]
    if len(ring) < 4 or ring[0] != ring[-1]:
        raise Invalid("a ring has at least 4 positions and ends where it starts",
                      field="geometry.coordinates")
    return ring


def _is_rectangle(ring: list[tuple[float, float]]) -> bool:
    if len(ring) != 5:
        return False
    lons = {p[0] for p in ring}
    lats = {p[1] for p in ring}
    return len(lons) == 2 and len(lats) == 2 and len(set(ring[:-1])) == 4
