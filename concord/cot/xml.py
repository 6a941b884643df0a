"""XML Cursor-on-Target: hardened parsing of one `<event>` and its serialisation.

Untrusted bytes are parsed with DTDs forbidden outright: a CoT event never needs one, and without
a DTD there are no entity declarations to expand (billion laughs, quadratic blow-up) and no
external entities or external DTD subsets to fetch (XXE); a reference to an undeclared entity is
a parse error. The rule is defusedxml's `forbid_dtd=True`, applied before parsing so that the
parser itself can be the C one (`xml.etree.ElementTree.XMLParser`, expat building the tree in C;
defusedxml needs the pure-Python parser to hook expat, at twice the cost, and every event a client
sends is parsed): the parser is told the document is UTF-8 whatever it declares, so a DOCTYPE can
only be the bytes `<!DOCTYPE`, and a frame that contains them is refused. UTF-16 (which expat
would still detect from a byte order mark, and which always contains NUL bytes, never valid in
XML) is refused as malformed. The size limit is checked before anything else, so an oversized
frame costs nothing.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError, SubElement, XMLParser, tostring

from concord.cot.drops import Dropped, DropReason
from concord.domain.cot import UNKNOWN_ERROR, CotEvent, format_time, parse_float, parse_time
from concord.domain.errors import Invalid

DEFAULT_MAX_EVENT_BYTES = 64 * 1024
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

#: Every XML event we send starts with the declaration, as TAK Server does: stream readers that
#: split on `</event>` (pytak, takproto's `parse_proto`) recognise XML by this prefix.
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def parse_xml_fragment(data: bytes, max_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> Element:
    """Parse untrusted XML into an element tree, or raise `Dropped` with the reason."""
    if len(data) > max_bytes:
        raise Dropped(DropReason.OVERSIZED, f"{len(data)} bytes over the {max_bytes} byte limit")
    if b"<!DOCTYPE" in data:
        raise Dropped(DropReason.FORBIDDEN_XML, "DTDForbidden")
    if b"\x00" in data or data.startswith(_UTF16_BOMS):
        raise Dropped(DropReason.MALFORMED, "not UTF-8")
    parser = XMLParser(encoding="utf-8")  # noqa: S314 -- no DTD can reach it (module docstring)
    try:
        parser.feed(data)
        root: Element = parser.close()
    except ParseError as exc:
        raise Dropped(DropReason.MALFORMED, str(exc)) from None
    return root


def parse_event(data: bytes, max_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> CotEvent:
    """One XML `<event>` (optionally preceded by the XML declaration) → `CotEvent`."""
    root = parse_xml_fragment(data, max_bytes)
    if root.tag != "event":
        raise Dropped(DropReason.NOT_AN_EVENT, f"root element is <{root.tag[:40]}>")
    try:
        return event_from_element(root)
    except Invalid as exc:
        raise Dropped(DropReason.INVALID, exc.message) from None


def event_from_element(root: Element) -> CotEvent:
    point = root.find("point")
    if point is None:
        raise Invalid("an event needs a <point>", field="point")
    detail = root.find("detail")
    return CotEvent(
        uid=root.get("uid", ""),
        type=root.get("type", ""),
        how=root.get("how", ""),
        time=parse_time(root.get("time"), "time"),
        start=parse_time(root.get("start"), "start"),
        stale=parse_time(root.get("stale"), "stale"),
        lat=parse_float(point.get("lat"), "point.lat"),
        lon=parse_float(point.get("lon"), "point.lon"),
        hae=parse_float(point.get("hae"), "point.hae", UNKNOWN_ERROR),
        ce=parse_float(point.get("ce"), "point.ce", UNKNOWN_ERROR),
        le=parse_float(point.get("le"), "point.le", UNKNOWN_ERROR),
        detail=detail if detail is not None else Element("detail"),
        access=root.get("access"),
        qos=root.get("qos"),
        opex=root.get("opex"),
    )


def event_to_element(event: CotEvent) -> Element:
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
    root.append(event.detail)
    return root


def event_to_xml(event: CotEvent) -> bytes:
    """The event as one XML document (declaration + `<event>`), with nothing after `</event>`."""
    body: bytes = tostring(event_to_element(event), encoding="utf-8", xml_declaration=False)
    return XML_DECLARATION + body


def _number(value: float) -> str:
    return repr(float(value)) if value != int(value) else f"{value:.1f}"
