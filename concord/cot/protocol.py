"""TAK Protocol Version 1 (protobuf) and the control exchanges of a TAK streaming connection.

References are to TAK's protocol.txt (distributed with takproto and the TAK Server sources):

* "TAK Protocol, Version 1": a `TakMessage` holds a `TakControl` and a `CotEvent`; times are
  milliseconds since the Unix epoch; the strongly typed detail sub-messages (contact, __group,
  precisionlocation, status, takv, track) replace their XML elements, and every other detail
  element travels as XML text in `xmlDetail`.
* "Streaming Protocol": `0xbf <varint length> <TakMessage>`; framing is in `concord.cot.stream`,
  encoding here via `takproto` (the maintained library for these messages).
* "Protocol negotiation": the server MAY announce `t-x-takp-v` with
  `<TakControl><TakProtocolSupport version="1"/></TakControl>` once per connection; a client
  asks with `t-x-takp-q` `<TakRequest version="1"/>`; the server answers `t-x-takp-r`
  `<TakResponse status="true|false"/>`, and after a true response both sides speak version 1.
* Ping: a client's `t-x-c-t` is answered with `t-x-c-t-r` (TAK Server behaviour).

`xmlDetail` comes from the network, so it is parsed with the same hardened parser as XML events.
"""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.message import DecodeError
from lxml.etree import Element, SubElement, _Element, tostring
from takproto.constants import TAKProtoVer
from takproto.functions import msg2proto
from takproto.proto import TakMessage

from concord.cot.drops import Dropped, DropReason
from concord.cot.xml import DEFAULT_MAX_EVENT_BYTES, parse_xml_fragment
from concord.domain.cot import CotEvent, control_event, is_xml_text
from concord.domain.errors import Invalid

SUPPORTED_VERSION = 1
SERVER_CONTROL_UID = "protouid"

PING = "t-x-c-t"
PONG = "t-x-c-t-r"
NEGOTIATION_OFFER = "t-x-takp-v"
NEGOTIATION_REQUEST = "t-x-takp-q"
NEGOTIATION_RESPONSE = "t-x-takp-r"

#: Detail elements with a typed field in TakMessage.detail, and their attributes.
_TYPED_DETAIL = {
    "contact": ("contact", ("endpoint", "callsign")),
    "__group": ("group", ("name", "role")),
    "precisionlocation": ("precisionLocation", ("geopointsrc", "altsrc")),
    "takv": ("takv", ("device", "platform", "os", "version")),
}


def decode_payload(payload: bytes, max_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> CotEvent:
    """A version 1 `TakMessage` (without the stream header) → `CotEvent`, or `Dropped`."""
    message = TakMessage()
    try:
        message.ParseFromString(payload)
    except DecodeError as exc:
        raise Dropped(DropReason.MALFORMED, f"TakMessage does not decode: {exc}") from None
    if not message.HasField("cotEvent"):
        raise Dropped(DropReason.INVALID, "TakMessage without a cotEvent")
    cot = message.cotEvent
    # Relayed and stored as XML too: a string XML cannot carry makes the event invalid here.
    for name in ("uid", "type", "how", "access", "qos", "opex"):
        if not is_xml_text(getattr(cot, name)):
            raise Dropped(DropReason.INVALID, f"{name} has characters XML cannot carry")
    detail = _detail_from_message(cot.detail, max_bytes) if cot.HasField("detail") else Element("detail")
    try:
        return CotEvent(
            uid=cot.uid, type=cot.type, how=cot.how,
            time=_from_millis(cot.sendTime, "time"), start=_from_millis(cot.startTime, "start"),
            stale=_from_millis(cot.staleTime, "stale"),
            lat=cot.lat, lon=cot.lon, hae=cot.hae, ce=cot.ce, le=cot.le, detail=detail,
            access=cot.access or None, qos=cot.qos or None, opex=cot.opex or None,
        )
    except Invalid as exc:
        raise Dropped(DropReason.INVALID, exc.message) from None


def encode_frame(event: CotEvent) -> bytes:
    """`CotEvent` → one streaming frame: 0xbf, varint length, TakMessage."""
    return bytes(msg2proto(event_to_message(event), TAKProtoVer.STREAM))


def event_to_message(event: CotEvent) -> TakMessage:
    message = TakMessage()
    cot = message.cotEvent
    cot.type = event.type
    cot.uid = event.uid
    cot.how = event.how
    for name in ("access", "qos", "opex"):
        value = getattr(event, name)
        if value:
            setattr(cot, name, value)
    cot.sendTime = _to_millis(event.time)
    cot.startTime = _to_millis(event.start)
    cot.staleTime = _to_millis(event.stale)
    cot.lat, cot.lon, cot.hae, cot.ce, cot.le = event.lat, event.lon, event.hae, event.ce, event.le
    detail = cot.detail
    rest: list[bytes] = []
    for element in event.detail:
        typed = _TYPED_DETAIL.get(element.tag)
        if typed is not None:
            field, attrs = typed
            target = getattr(detail, field)
            for attr in attrs:
                value = element.get(attr)
                if value:
                    setattr(target, attr, value)
            target.SetInParent()
        elif element.tag == "status" and _is_int(element.get("battery")) and len(element.attrib) == 1:
            detail.status.battery = int(element.get("battery", "0"))
        elif element.tag == "track" and _is_track(element):
            detail.track.speed = float(element.get("speed", "0"))
            detail.track.course = float(element.get("course", "0"))
        else:
            rest.append(tostring(element, encoding="utf-8", xml_declaration=False))
    if rest:
        detail.xmlDetail = b"".join(rest).decode("utf-8")
    return message


def _detail_from_message(detail: TakMessage, max_bytes: int) -> _Element:
    if detail.xmlDetail:
        root = parse_xml_fragment(b"<detail>" + detail.xmlDetail.encode("utf-8") + b"</detail>", max_bytes)
    else:
        root = Element("detail")
    for tag, (field, attrs) in _TYPED_DETAIL.items():
        if detail.HasField(field):
            source = getattr(detail, field)
            values = {a: getattr(source, a) for a in attrs if getattr(source, a)}
            if not all(is_xml_text(value) for value in values.values()):
                raise Dropped(DropReason.INVALID, f"detail.{field} has characters XML cannot carry")
            SubElement(root, tag, values)
    if detail.HasField("status"):
        SubElement(root, "status", {"battery": str(detail.status.battery)})
    if detail.HasField("track"):
        SubElement(root, "track", {"speed": repr(detail.track.speed), "course": repr(detail.track.course)})
    return root


def _is_int(value: str | None) -> bool:
    return value is not None and value.isdigit() and int(value) < 2**31


def _is_track(element: _Element) -> bool:
    if set(element.attrib) - {"speed", "course"}:
        return False
    try:
        float(element.get("speed", "0"))
        float(element.get("course", "0"))
    except ValueError:
        return False
    return True


def _to_millis(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _from_millis(value: int, name: str) -> datetime:
    try:
        return datetime.fromtimestamp(value / 1000.0, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise Invalid(f"{name} is out of range", field=name) from None


# --- control exchanges -------------------------------------------------------------------------


def ping_reply(ping: CotEvent, now: datetime) -> CotEvent:
    return control_event(ping.uid or SERVER_CONTROL_UID, PONG, now)


def negotiation_offer(now: datetime) -> CotEvent:
    detail = Element("detail")
    control = SubElement(detail, "TakControl")
    SubElement(control, "TakProtocolSupport", {"version": str(SUPPORTED_VERSION)})
    return control_event(SERVER_CONTROL_UID, NEGOTIATION_OFFER, now, detail)


def requested_version(request: CotEvent) -> int | None:
    """The version a `t-x-takp-q` asks for, or None if it names none we can read."""
    element = request.detail.find("TakControl/TakRequest")
    value = None if element is None else element.get("version")
    return int(value) if value is not None and value.isdigit() else None


def negotiation_response(accepted: bool, now: datetime) -> CotEvent:
    detail = Element("detail")
    control = SubElement(detail, "TakControl")
    SubElement(control, "TakResponse", {"status": "true" if accepted else "false"})
    return control_event(SERVER_CONTROL_UID, NEGOTIATION_RESPONSE, now, detail)
