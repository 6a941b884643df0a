"""XML Cursor-on-Target: hardened parsing of one `<event>` and its serialisation.

Untrusted bytes are parsed with DTDs forbidden outright: a CoT event never needs one, and without
a DTD there are no entity declarations to expand (billion laughs, quadratic blow-up) and no
external entities or external DTD subsets to fetch (XXE); a reference to an undeclared entity is
a parse error. The rule is defusedxml's `forbid_dtd=True`, applied before parsing: the parser is
told the document is UTF-8 whatever it declares, so a DOCTYPE can only be the bytes `<!DOCTYPE`,
and a frame that contains them is refused. UTF-16 (which a parser would still detect from a byte
order mark, and which always contains NUL bytes, never valid in XML) is refused as malformed. The
size limit is checked before anything else, so an oversized frame costs nothing.

The parser is lxml's (libxml2), about twice as fast as expat building an `xml.etree` tree, and
every event a client sends is parsed. It is configured as a second line behind the DOCTYPE check:
entities are never substituted or loaded, no DTD is read, nothing is fetched from the network, the
libxml2 safety limits on depth and text size stay on (`huge_tree=False`), and comments and
processing instructions are left out of the tree (as `xml.etree` does). Every CoT element in
Concord is therefore an lxml element (`Element`/`SubElement` below), never an `xml.etree` one:
the two APIs are alike but their trees do not mix.
"""

from __future__ import annotations

from lxml.etree import Element, XMLParser, XMLSyntaxError, _Element, fromstring

from concord.cot.drops import Dropped, DropReason
from concord.domain.cot import UNKNOWN_ERROR, CotEvent, parse_float, parse_time
from concord.domain.errors import Invalid

DEFAULT_MAX_EVENT_BYTES = 64 * 1024
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

#: Every XML event we send starts with the declaration, as TAK Server does: stream readers that
#: split on `</event>` (pytak, takproto's `parse_proto`) recognise XML by this prefix.
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


#: One parser for all events: lxml serialises its use from several threads with a lock.
_PARSER = XMLParser(
    encoding="utf-8", resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
    huge_tree=False, remove_comments=True, remove_pis=True, collect_ids=False,
)


def parse_xml_fragment(data: bytes, max_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> _Element:
    """Parse untrusted XML into an element tree, or raise `Dropped` with the reason."""
    if len(data) > max_bytes:
        raise Dropped(DropReason.OVERSIZED, f"{len(data)} bytes over the {max_bytes} byte limit")
    if b"<!DOCTYPE" in data:
        raise Dropped(DropReason.FORBIDDEN_XML, "DTDForbidden")
    if b"\x00" in data or data.startswith(_UTF16_BOMS):
        raise Dropped(DropReason.MALFORMED, "not UTF-8")
    try:
        root: _Element = fromstring(data, _PARSER)
    except XMLSyntaxError as exc:
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


def event_from_element(root: _Element) -> CotEvent:
    # The first <point> and <detail>, as `find` would give them, without its path language.
    point = detail = None
    for child in root:
        tag = child.tag
        if tag == "point":
            if point is None:
                point = child
        elif tag == "detail" and detail is None:
            detail = child
    if point is None:
        raise Invalid("an event needs a <point>", field="point")
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
