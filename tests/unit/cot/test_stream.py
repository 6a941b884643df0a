"""Splitting a TCP stream into XML and TAK protocol v1 frames, whatever the read boundaries."""

from __future__ import annotations

from concord.cot.drops import Dropped, DropReason
from concord.cot.stream import Encoding, Frame, StreamDecoder

from .cot_samples import chat_xml, position_xml

LIMIT = 8 * 1024


def frames_of(items: list[Frame | Dropped]) -> list[Frame]:
    return [i for i in items if isinstance(i, Frame)]


def proto_frame(payload: bytes) -> bytes:
    length = len(payload)
    varint = bytearray()
    while True:
        byte = length & 0x7F
        length >>= 7
        varint.append(byte | (0x80 if length else 0))
        if not length:
            return b"\xbf" + bytes(varint) + payload


def test_events_split_on_end_tag_even_when_fed_byte_by_byte() -> None:
    stream = position_xml() + b"\n" + chat_xml() + b"\r\n"
    decoder = StreamDecoder(LIMIT)
    out: list[Frame | Dropped] = []
    for index in range(len(stream)):
        out += decoder.feed(stream[index:index + 1])
    assert [f.payload for f in frames_of(out)] == [position_xml(), chat_xml()]
    assert decoder.finish() == []


def test_xml_and_protobuf_frames_interleave() -> None:
    payload = b"\x12\x05hello" * 40  # > 127 bytes: a two-byte varint
    stream = position_xml() + proto_frame(payload) + chat_xml() + proto_frame(b"")
    decoder = StreamDecoder(LIMIT)
    out = decoder.feed(stream[:150]) + decoder.feed(stream[150:])
    assert [(f.encoding, f.payload) for f in frames_of(out)] == [
        (Encoding.XML, position_xml()), (Encoding.PROTOBUF, payload),
        (Encoding.XML, chat_xml()), (Encoding.PROTOBUF, b""),
    ]


def test_oversized_xml_is_skipped_without_buffering_and_the_stream_resynchronises() -> None:
    decoder = StreamDecoder(LIMIT)
    out = decoder.feed(b"<event uid='big'><detail>")
    for _ in range(100):                      # 400 KiB of one event, far over the limit
        out += decoder.feed(b"A" * 4096)
        assert decoder.buffered <= LIMIT + 4096
    out += decoder.feed(b"</detail></event>" + position_xml())
    drops = [i for i in out if isinstance(i, Dropped)]
    assert [d.reason for d in drops] == [DropReason.OVERSIZED]
    assert [f.payload for f in frames_of(out)] == [position_xml()]


def test_oversized_protobuf_is_skipped_by_its_length() -> None:
    decoder = StreamDecoder(LIMIT)
    out = decoder.feed(proto_frame(b"x" * (LIMIT + 10)) + position_xml())
    assert [d.reason for d in out if isinstance(d, Dropped)] == [DropReason.OVERSIZED]
    assert [f.payload for f in frames_of(out)] == [position_xml()]


def test_a_length_that_is_not_a_varint_is_malformed() -> None:
    decoder = StreamDecoder(LIMIT)
    out = decoder.feed(b"\xbf" + b"\xff" * 12)
    assert [d.reason for d in out if isinstance(d, Dropped)] == [DropReason.MALFORMED]


def test_connection_closed_mid_event_is_truncated() -> None:
    decoder = StreamDecoder(LIMIT)
    assert decoder.feed(position_xml()[:100]) == []
    assert [d.reason for d in decoder.finish()] == [DropReason.TRUNCATED]


BAD_INPUTS = {
    "garbage text": b"hello, this is not CoT\n",
    "binary junk": bytes(range(1, 64)) + b"\xff\xfe",
    "wrong root": b"<message><body>not an event</body></message>",
    "truncated event": b"<event version='2.0' uid='cut' type='a-f-G' how='m-g'><detail><contact callsign='CU",
    "truncated declaration": b"<?xml version='1.0' encoding='UTF-8'?><event version='2.0' uid='cut2'",
    "stray end tag": b"</detail></event>",
    "unclosed tag": b"<event",
}


def test_every_bad_input_between_good_events_loses_no_good_event() -> None:
    goods = [position_xml(uid=f"ANDROID-tur-{i}", callsign=f"ALPHA-{i}") for i in range(len(BAD_INPUTS) + 1)]
    stream = goods[0]
    for (_name, bad), good in zip(BAD_INPUTS.items(), goods[1:], strict=True):
        stream += bad + good
    for step in (len(stream), 1, 7, 64):  # in one read, byte by byte, and in odd-sized reads
        decoder = StreamDecoder(LIMIT)
        out: list[Frame | Dropped] = []
        for start in range(0, len(stream), step):
            out += decoder.feed(stream[start : start + step])
        out += decoder.finish()
        assert [f.payload for f in frames_of(out)] == goods, step
        assert all(d.reason is DropReason.MALFORMED for d in out if isinstance(d, Dropped)), step


def test_garbage_between_protocol_v1_frames_is_skipped() -> None:
    first, second = b"\x12\x05first", b"\x12\x06second"
    stream = proto_frame(first) + b"junk without magic" + proto_frame(second) + position_xml()
    decoder = StreamDecoder(LIMIT)
    out = decoder.feed(stream)
    assert [(f.encoding, f.payload) for f in frames_of(out)] == [
        (Encoding.PROTOBUF, first), (Encoding.PROTOBUF, second), (Encoding.XML, position_xml()),
    ]
    assert [d.reason for d in out if isinstance(d, Dropped)] == [DropReason.MALFORMED]
