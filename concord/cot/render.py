"""Cursor-on-Target as it goes on the wire: events serialised to XML, the centre's own items (areas
and protected sites as drawings, channel messages as GeoChat) as CoT events, and what a service
hands the CoT adapter (a report as it was sent, a shape, a message) as the bytes a client receives.

Services never build CoT: they return domain objects (`services.tracks.FeedItem`), and this module
turns them into events. Every element is an lxml one (see `cot.xml`).
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

from lxml.etree import Element, SubElement, _Element, tostring

from concord.cot.xml import XML_DECLARATION, parse_event
from concord.domain.cot import UNKNOWN_ERROR, CotEvent, classify, format_time, xml_text
from concord.domain.tracks import CHAT_LIFETIME, SHAPE_LIFETIME, ChatMessage, Shape, chat_uid, outline
from concord.services.tracks import FieldContent, Inbound


def event_to_element(event: CotEvent) -> _Element:
    attrs = {
        "version": "2.0",
        "uid": event.uid,
        "type": event.type,
        "how": event.how,
        "time": format_time(event.time),
        "start": format_time(event.start),
        "stale": format_time(event.stale),
    }
    for name in ("access", "qos", "opex"):
        value = getattr(event, name)
        if value:
            attrs[name] = value
    root = Element("event", attrs)
    SubElement(root, "point", {
        "lat": _number(event.lat), "lon": _number(event.lon), "hae": _number(event.hae),
        "ce": _number(event.ce), "le": _number(event.le),
    })
    # A copy: an lxml element has one parent, and appending it would take it out of the event.
    root.append(copy.copy(event.detail))
    return root


def event_to_xml(event: CotEvent) -> bytes:
    """The event as one XML document (declaration + `<event>`), with nothing after `</event>`."""
    body: bytes = tostring(event_to_element(event), encoding="utf-8", xml_declaration=False)
    return XML_DECLARATION + body


def _number(value: float) -> str:
    return repr(float(value)) if value != int(value) else f"{value:.1f}"


def chat_to_event(message: ChatMessage, lifetime: timedelta = CHAT_LIFETIME) -> CotEvent:
    """A message → GeoChat as ATAK writes it, so every TAK client files it under `chatroom`."""
    room = xml_text(message.chatroom)
    sender = xml_text(message.sender_uid)
    message_id = xml_text(message.message_id)
    detail = Element("detail")
    chat_id = xml_text(message.recipient_uid or room)
    chat = SubElement(detail, "__chat", {
        "parent": "RootContactGroup", "groupOwner": "false", "messageId": message_id,
        "chatroom": room, "id": chat_id, "senderCallsign": xml_text(message.sender_callsign),
    })
    SubElement(chat, "chatgrp", {"uid0": sender, "uid1": chat_id, "id": chat_id})
    SubElement(detail, "link", {"uid": sender, "type": "a-f-G-U-C", "relation": "p-p"})
    remarks = SubElement(detail, "remarks", {
        "source": f"BAO.F.ATAK.{sender}", "to": room,
        "time": message.time.strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z",
    })
    remarks.text = xml_text(message.text)
    return CotEvent(
        uid=chat_uid(message), type="b-t-f", how="h-g-i-g-o",
        time=message.time, start=message.time, stale=message.time + lifetime,
        lat=0.0, lon=0.0, hae=UNKNOWN_ERROR, detail=detail,
    )


def shape_to_event(shape: Shape, now: datetime, lifetime: timedelta = SHAPE_LIFETIME) -> CotEvent:
    """An area → a TAK drawing (`domain.tracks.outline`): vertices as `<link point="lat,lon"/>`, an
    ellipse for a point with a radius, the shape's colour and remarks."""
    drawn = outline(shape)
    detail = Element("detail")
    SubElement(detail, "contact", {"callsign": xml_text(shape.title)})
    if drawn.cot_type == "u-d-c-c":
        assert shape.radius_m is not None
        shape_element = SubElement(detail, "shape")
        radius = f"{shape.radius_m:.1f}"
        SubElement(shape_element, "ellipse", {"major": radius, "minor": radius, "angle": "360"})
    for lon, lat in drawn.vertices:
        SubElement(detail, "link", {"point": f"{lat:.7f},{lon:.7f}"})
    colour = str(shape.colour)
    SubElement(detail, "strokeColor", {"value": colour})
    SubElement(detail, "strokeWeight", {"value": "3.0"})
    SubElement(detail, "fillColor", {"value": str((shape.colour & 0x00FFFFFF) | 0x40000000)})
    SubElement(detail, "labels_on", {"value": "true"})
    if shape.remarks:
        SubElement(detail, "remarks").text = xml_text(shape.remarks)
    return CotEvent(uid=shape.uid, type=drawn.cot_type, how="h-e", time=now, start=now, stale=now + lifetime,
                    lat=drawn.centre[0], lon=drawn.centre[1], hae=UNKNOWN_ERROR, detail=detail)


def content_to_xml(content: FieldContent, now: datetime) -> bytes:
    """What a service hands over (`FieldContent`) as the XML a client receives: a stored report as it
    was sent, a message as GeoChat, an area as a drawing current from `now`."""
    if isinstance(content, str):
        return content.encode("utf-8")
    if isinstance(content, ChatMessage):
        return event_to_xml(chat_to_event(content))
    return event_to_xml(shape_to_event(content, now))


def inbound(event: CotEvent, xml: bytes | None = None) -> Inbound:
    """A report to store: the event, its class and its XML (serialised here when not given as sent)."""
    return Inbound(event, classify(event), xml if xml is not None else event_to_xml(event))


def inbound_xml(data: bytes) -> Inbound:
    """A report from trusted XML (the demo scenario, tests)."""
    return inbound(parse_event(data), data)
