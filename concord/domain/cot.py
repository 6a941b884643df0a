"""The Cursor-on-Target event, independent of its wire encoding (XML or TAK Protocol Version 1).

CoT 2.0 (MITRE "Cursor-on-Target Message Router User's Guide", event schema): an `<event>` has a
`uid`, a hierarchical `type` (`a-f-G-U-C` = atom, friendly, ground, unit, combat), a `how`
(`m-g` machine GPS, `h-e` human entered, ...), three times (`time` generated, `start` valid from,
`stale` valid until), one `<point>` (WGS 84 lat/lon, height above ellipsoid, circular and linear
error) and a free-form `<detail>` that TAK clients fill with `contact`, `__group`, `track`,
`__chat`, `remarks`, `link`, ...

The detail is kept as an lxml element (pure data; lxml's tree has the ElementTree API) that the
adapter built with a hardened parser; nothing here parses untrusted bytes. Every CoT element is an
lxml one (`Element`/`SubElement` from `lxml.etree`, never `xml.etree`): the two kinds of tree do
not mix. lxml refuses text that XML cannot carry (control characters): `xml_text` removes them from
values that did not come from XML.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from lxml.etree import Element, _Element

from concord.domain import times
from concord.domain.errors import Invalid

#: CoT `ce`/`le` value meaning "unknown error" (CoT 2.0 schema).
UNKNOWN_ERROR = 9_999_999.0

MAX_UID_LENGTH = 256
MAX_TYPE_LENGTH = 128

#: Characters XML 1.0 cannot carry (section 2.2, "Char"), not even as character references.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """`value` without the characters XML cannot carry (for text that did not come from XML)."""
    return _NOT_XML.sub("", value)


def is_xml_text(value: str) -> bool:
    """Whether XML can carry `value` as it is."""
    return _NOT_XML.search(value) is None


class EventClass(StrEnum):
    """What an event is, for routing and queueing (see `classify`)."""

    POSITION = "position"   # a unit's own position report: superseded by the next one from the uid
    MARKER = "marker"       # a point a user placed on the map, a spot report
    CHAT = "chat"           # GeoChat b-t-f
    SHAPE = "shape"         # drawings u-d-*
    CONTROL = "control"     # t-x-*: ping, protocol negotiation; answered, never relayed
    OTHER = "other"         # anything else (b-a emergency, b-r casevac, ...)


@dataclass(slots=True)
class CotEvent:
    uid: str
    type: str
    how: str
    time: datetime
    start: datetime
    stale: datetime
    lat: float = 0.0
    lon: float = 0.0
    hae: float = UNKNOWN_ERROR
    ce: float = UNKNOWN_ERROR
    le: float = UNKNOWN_ERROR
    detail: _Element = field(default_factory=lambda: Element("detail"))
    access: str | None = None
    qos: str | None = None
    opex: str | None = None

    #: The detail's first child of each tag, made on the first look-up (lxml's `find` runs its path
    #: language in Python, a microsecond a call; an event is looked into several times). The
    #: detail is not changed once the event is made.
    _children: dict[str, _Element] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        validate(self)

    def find(self, path: str) -> _Element | None:
        """The first detail element at `path` (ElementPath: a tag, `a/b`, `tag[@attr='value']`)."""
        if not path.isidentifier():
            return self.detail.find(path)
        children = self._children
        if children is None:
            children = {}
            for child in self.detail:
                children.setdefault(child.tag, child)
            self._children = children
        return children.get(path)

    def detail_attr(self, path: str, name: str) -> str | None:
        element = self.find(path)
        return None if element is None else element.get(name)

    @property
    def callsign(self) -> str | None:
        return self.detail_attr("contact", "callsign")

    @property
    def group_name(self) -> str | None:
        """The TAK team (`__group name`), e.g. "Cyan"; used to pick a marking per group."""
        return self.detail_attr("__group", "name")

    def is_stale(self, now: datetime) -> bool:
        return now >= self.stale


def validate(event: CotEvent) -> None:
    """Reject events whose fields are of the wrong shape, naming the field (CoT 2.0 schema ranges)."""
    if not event.uid or len(event.uid) > MAX_UID_LENGTH:
        raise Invalid("uid must be 1..256 characters", field="uid")
    if not event.type or len(event.type) > MAX_TYPE_LENGTH or not _is_type(event.type):
        raise Invalid("type must be dash-separated CoT type atoms, e.g. a-f-G-U-C", field="type")
    if not event.how:
        raise Invalid("how is required", field="how")
    for name in ("time", "start", "stale"):
        value = getattr(event, name)
        if value.tzinfo is None:
            raise Invalid(f"{name} must carry a time zone", field=name)
    if event.stale < event.start:
        raise Invalid("stale must not be before start", field="stale")
    if not (math.isfinite(event.lat) and -90.0 <= event.lat <= 90.0):
        raise Invalid("lat must be within -90..90", field="point.lat")
    if not (math.isfinite(event.lon) and -180.0 <= event.lon <= 180.0):
        raise Invalid("lon must be within -180..180", field="point.lon")
    for name in ("hae", "ce", "le"):
        if math.isnan(getattr(event, name)):
            raise Invalid(f"{name} must be a number", field=f"point.{name}")


def _is_type(value: str) -> bool:
    return all(part and part.replace(".", "").replace("_", "").isalnum() for part in value.split("-"))


def parse_time(value: str | None, name: str) -> datetime:
    """CoT times are W3C XML Schema dateTime in UTC, e.g. 2026-01-01T10:00:00.000Z."""
    if not value:
        raise Invalid(f"{name} is required", field=name)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{name} is not an ISO 8601 time: {value[:40]!r}", field=name) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return times.to_utc(parsed, name)


def format_time(value: datetime) -> str:
    """UTC with milliseconds and `Z`, as TAK clients write it."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_float(value: str | None, name: str, default: float | None = None) -> float:
    if value is None or value == "":
        if default is None:
            raise Invalid(f"{name} is required", field=name)
        return default
    try:
        number = float(value)
    except ValueError:
        raise Invalid(f"{name} must be a number, got {value[:20]!r}", field=name) from None
    if math.isnan(number):
        raise Invalid(f"{name} must be a number, got NaN", field=name)
    return number


def classify(event: CotEvent) -> EventClass:
    """Which kind of item an event is.

    `a-…` atoms are position reports of the sender's own unit unless a person placed them on the map:
    ATAK marks those with `how="h-g-i-g-o"` (human, GPS, intended, geo-referenced, other) or keeps
    them with an `<archive/>` detail. `b-m-p-…` are map points (spot, waypoint, checkpoint).
    """
    kind = event.type
    if kind.startswith("t-x-"):
        return EventClass.CONTROL
    if kind == "b-t-f" or kind.startswith("b-t-f-"):
        return EventClass.CHAT
    if kind.startswith("u-d-"):
        return EventClass.SHAPE
    if kind.startswith("b-m-p"):
        return EventClass.MARKER
    if kind.startswith("a-"):
        if event.how.startswith("h-g-i") or event.find("archive") is not None:
            return EventClass.MARKER
        return EventClass.POSITION
    return EventClass.OTHER


def control_event(uid: str, kind: str, now: datetime, detail: _Element | None = None,
                  lifetime: timedelta = timedelta(seconds=60)) -> CotEvent:
    """A server-generated control event (ping reply, protocol negotiation) at 0,0 with unknown error."""
    return CotEvent(
        uid=uid, type=kind, how="m-g", time=now, start=now, stale=now + lifetime,
        lat=0.0, lon=0.0, hae=0.0, ce=UNKNOWN_ERROR, le=UNKNOWN_ERROR,
        detail=detail if detail is not None else Element("detail"),
    )
