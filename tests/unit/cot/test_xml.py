"""Hardened XML CoT parsing: attack inputs are dropped with a reason, valid events round-trip."""

from __future__ import annotations

import time

import pytest

from concord.cot.drops import Dropped, DropReason
from concord.cot.render import event_to_xml
from concord.cot.xml import XML_DECLARATION, parse_event

from .cot_samples import (
    BILLION_LAUGHS,
    EXTERNAL_DTD,
    EXTERNAL_ENTITY,
    NOW,
    QUADRATIC_BLOWUP,
    chat_xml,
    position_xml,
)


def reason_for(data: bytes, max_bytes: int = 64 * 1024) -> DropReason:
    with pytest.raises(Dropped) as caught:
        parse_event(data, max_bytes)
    return caught.value.reason


def test_position_report_parses_with_its_fields() -> None:
    event = parse_event(position_xml(declaration=True))
    assert (event.uid, event.type, event.how) == ("ANDROID-tur-1", "a-f-G-U-C", "m-g")
    assert event.time == NOW
    assert (event.lat, event.lon, event.hae) == (36.9, 43.1, 512.0)
    assert event.callsign == "ALPHA-1"
    assert event.group_name == "Cyan"


@pytest.mark.parametrize("attack", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, QUADRATIC_BLOWUP],
                         ids=["billion-laughs", "external-entity", "external-dtd", "quadratic-blowup"])
def test_documents_with_a_dtd_are_refused_before_any_expansion(attack: bytes) -> None:
    started = time.perf_counter()
    assert reason_for(attack) is DropReason.FORBIDDEN_XML
    # Harmless means it costs nothing: no expansion happened (a generous bound, not a benchmark).
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_dtd_cannot_hide_in_another_encoding(encoding: str) -> None:
    # The byte check for a DOCTYPE holds only for UTF-8: anything else is refused before parsing.
    text = BILLION_LAUGHS.decode().replace('<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{encoding}"?>')
    assert reason_for(text.encode(encoding)) is DropReason.MALFORMED
    declared_only = BILLION_LAUGHS.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-7"?>')
    assert reason_for(declared_only) is DropReason.FORBIDDEN_XML


def test_an_undeclared_entity_is_malformed_and_never_fetched() -> None:
    data = position_xml().replace(b'uid="ANDROID-tur-1"', b'uid="&xxe;"')
    assert reason_for(data) is DropReason.MALFORMED


def test_oversized_event_is_refused_without_parsing() -> None:
    big = position_xml().replace(b"<uid ", b"<remarks>" + b"A" * 70_000 + b"</remarks><uid ")
    assert reason_for(big) is DropReason.OVERSIZED
    assert reason_for(position_xml(), max_bytes=100) is DropReason.OVERSIZED


def test_truncated_and_malformed_events_are_malformed() -> None:
    assert reason_for(position_xml()[:-30]) is DropReason.MALFORMED
    assert reason_for(b"<event uid='a'><point></event>") is DropReason.MALFORMED
    assert reason_for(b"\x00\xff garbage") is DropReason.MALFORMED


def test_a_root_other_than_event_is_not_an_event() -> None:
    assert reason_for(b"<html><body>hello</body></html>") is DropReason.NOT_AN_EVENT


@pytest.mark.parametrize(("old", "new"), [
    (b'lat="36.9"', b'lat="north"'),
    (b'lat="36.9"', b'lat="91"'),
    (b'lon="43.1"', b'lon="NaN"'),
    (b'uid="ANDROID-tur-1"', b'uid=""'),
    (b'type="a-f-G-U-C"', b'type="a f G"'),
    (b'time="2026-03-01T10:00:00.000Z"', b'time="yesterday"'),
    (b'stale="2026-03-01T10:02:00.000Z"', b'stale="2026-03-01T09:00:00.000Z"'),
    (b'<point lat="36.9" lon="43.1" hae="512.0" ce="9.9" le="9999999.0"/>', b""),
])
def test_wrong_types_and_missing_fields_are_invalid(old: bytes, new: bytes) -> None:
    data = position_xml()
    assert old in data
    assert reason_for(data.replace(old, new)) is DropReason.INVALID


def test_serialised_event_starts_with_the_declaration_and_round_trips() -> None:
    event = parse_event(chat_xml(text="Kontrol noktası temiz — نقطة التفتيش"))
    data = event_to_xml(event)
    assert data.startswith(XML_DECLARATION)
    assert data.endswith(b"</event>")
    again = parse_event(data)
    assert again.uid == event.uid and again.time == event.time and again.stale == event.stale
    remarks = again.find("remarks")
    assert remarks is not None and remarks.text == "Kontrol noktası temiz — نقطة التفتيش"


@pytest.mark.parametrize("attack", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, QUADRATIC_BLOWUP],
                         ids=["billion-laughs", "external-entity", "external-dtd", "quadratic-blowup"])
def test_the_parser_behind_the_doctype_check_expands_and_fetches_nothing(attack: bytes) -> None:
    # Second line: were the DOCTYPE check ever bypassed, lxml's parser as configured neither
    # substitutes entities nor reads a DTD nor goes to the network.
    from lxml.etree import XMLSyntaxError, fromstring, tostring

    from concord.cot.xml import _PARSER

    try:
        root = fromstring(attack, _PARSER)
    except XMLSyntaxError:
        return                                         # refusing the document is harmless too
    text = tostring(root)
    assert b"lollol" not in text and b"root:" not in text and b"xxxxx" not in text
    assert len(text) < len(attack)


def test_comments_and_processing_instructions_are_left_out_of_the_detail() -> None:
    data = position_xml().replace(b"<detail>", b"<detail><!-- a note --><?pi x?>")
    event = parse_event(data)
    assert [child.tag for child in event.detail][:2] == ["contact", "__group"]
    assert b"<!--" not in event_to_xml(event)


def test_serialising_leaves_the_event_detail_in_place() -> None:
    event = parse_event(position_xml())
    first, second = event_to_xml(event), event_to_xml(event)
    assert first == second
    assert event.callsign == "ALPHA-1"
