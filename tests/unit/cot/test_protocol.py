"""TAK Protocol Version 1: our frames decode with takproto, and takproto's frames decode with ours."""

from __future__ import annotations

import pytest
import takproto

from concord.cot import protocol
from concord.cot.drops import Dropped, DropReason
from concord.cot.stream import Frame, StreamDecoder
from concord.cot.xml import parse_event

from .cot_samples import NOW, chat_xml, control_xml, position_xml


def test_position_encodes_to_a_stream_frame_that_takproto_reads() -> None:
    event = parse_event(position_xml())
    frame = protocol.encode_frame(event)
    assert frame[0] == 0xBF
    message = takproto.parse_proto(bytearray(frame))
    cot = message.cotEvent
    assert (cot.uid, cot.type, cot.how) == ("ANDROID-tur-1", "a-f-G-U-C", "m-g")
    assert (cot.lat, cot.lon, cot.hae) == (36.9, 43.1, 512.0)
    assert cot.sendTime == int(NOW.timestamp() * 1000)
    assert cot.detail.contact.callsign == "ALPHA-1"
    assert cot.detail.group.name == "Cyan"
    assert cot.detail.track.course == 270.0
    assert cot.detail.status.battery == 88
    assert "<uid Droid=" in cot.detail.xmlDetail   # untyped detail travels as XML


def test_takproto_frames_decode_to_the_same_event() -> None:
    frame = bytes(takproto.xml2proto(position_xml().decode(), takproto.TAKProtoVer.STREAM))
    [decoded] = StreamDecoder(64 * 1024).feed(frame)
    assert isinstance(decoded, Frame)
    event = protocol.decode_payload(decoded.payload)
    original = parse_event(position_xml())
    assert (event.uid, event.type, event.time, event.stale, event.lat, event.lon) == (
        original.uid, original.type, original.time, original.stale, original.lat, original.lon)
    assert event.callsign == "ALPHA-1"
    assert event.detail_attr("track", "speed") == "3.5"


def test_geochat_survives_xml_to_protobuf_and_back() -> None:
    event = parse_event(chat_xml(text="Köprü kapalı"))
    frame = protocol.encode_frame(event)
    [decoded] = StreamDecoder(64 * 1024).feed(frame)
    assert isinstance(decoded, Frame)
    back = protocol.decode_payload(decoded.payload)
    remarks = back.find("remarks")
    assert remarks is not None and remarks.text == "Köprü kapalı"
    assert back.detail_attr("__chat", "chatroom") == "All Chat Rooms"


def test_garbage_payload_is_malformed_and_missing_event_is_invalid() -> None:
    with pytest.raises(Dropped) as caught:
        protocol.decode_payload(b"\xff\xff\xff\xff")
    assert caught.value.reason is DropReason.MALFORMED
    with pytest.raises(Dropped) as caught:
        protocol.decode_payload(b"")
    assert caught.value.reason is DropReason.INVALID


def test_entities_in_xml_detail_are_refused() -> None:
    message = takproto.parse_proto(takproto.xml2proto(position_xml().decode(), takproto.TAKProtoVer.STREAM))
    message.cotEvent.detail.xmlDetail = '<!DOCTYPE x [<!ENTITY a "b">]><remarks>&a;</remarks>'
    with pytest.raises(Dropped) as caught:
        protocol.decode_payload(message.SerializeToString())
    assert caught.value.reason in {DropReason.FORBIDDEN_XML, DropReason.MALFORMED}


def test_negotiation_messages_follow_the_spec() -> None:
    offer = protocol.negotiation_offer(NOW)
    assert offer.type == "t-x-takp-v"
    assert offer.detail_attr("TakControl/TakProtocolSupport", "version") == "1"
    ask = '<TakControl><TakRequest version="1"/></TakControl>'
    request = parse_event(control_xml("t-x-takp-q", detail=ask))
    assert protocol.requested_version(request) == 1
    response = protocol.negotiation_response(True, NOW)
    assert response.type == "t-x-takp-r"
    assert response.detail_attr("TakControl/TakResponse", "status") == "true"
    pong = protocol.ping_reply(parse_event(control_xml("t-x-c-t")), NOW)
    assert pong.type == "t-x-c-t-r"


def test_strings_that_xml_cannot_carry_make_a_protobuf_event_invalid() -> None:
    message = takproto.parse_proto(takproto.xml2proto(position_xml().decode(), takproto.TAKProtoVer.STREAM))
    message.cotEvent.uid = "ANDROID-\x01"
    with pytest.raises(Dropped) as caught:
        protocol.decode_payload(message.SerializeToString())
    assert caught.value.reason is DropReason.INVALID
    message = takproto.parse_proto(takproto.xml2proto(position_xml().decode(), takproto.TAKProtoVer.STREAM))
    message.cotEvent.detail.contact.callsign = "ALPHA\x0b1"
    with pytest.raises(Dropped) as caught:
        protocol.decode_payload(message.SerializeToString())
    assert caught.value.reason is DropReason.INVALID
