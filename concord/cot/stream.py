"""Splitting a CoT TCP stream into frames, XML and TAK Protocol Version 1 alike.

* XML (protocol "version 0"): one `<event>` after another; a frame ends at the token `</event>`
  (TAK protocol.txt, "Streaming connections").
* TAK Protocol Version 1, streaming: `0xbf`, a protobuf varint length, then that many bytes of
  `TakMessage` (TAK protocol.txt, "Streaming Protocol").

A frame's first byte tells which one it is (`<` or `0xbf`), so a client may switch after the
`t-x-takp` negotiation, or (as pytak does) speak version 1 without negotiating.

After a bad frame the decoder resynchronises at the next event: bytes that begin no event (garbage,
a wrong root element) are skipped up to the next `<?xml` or `<event`, and an XML frame with a second
event start inside it (an event truncated by the next one) is cut there, so the good event that
follows is not lost (reported once as a malformed drop each). In a version 1 stream, garbage between
frames is skipped up to the next `0xbf`.

Oversized frames are skipped without buffering them: an XML frame with no `</event>` within the
limit is discarded up to the next `</event>`; a version 1 frame announcing an oversized length is
skipped by its length. Either way the frame is reported once as dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from concord.cot.drops import Dropped, DropReason
from concord.cot.xml import XML_DECLARATION

END_TAG = b"</event>"
MAGIC = 0xBF
_WHITESPACE = b" \t\r\n\x00"
_MAX_VARINT_BYTES = 10
#: Where an XML event may begin (a declaration, or the root element itself).
_XML_START = re.compile(rb"<\?xml|<event[\s>/]")
#: The same, and a version 1 frame's magic byte (searched for only once the client spoke version 1:
#: 0xbf is also a UTF-8 continuation byte, common in XML text).
_ANY_START = re.compile(rb"<\?xml|<event[\s>/]|\xbf")
_LONGEST_START = len(b"<event ")


class Encoding(Enum):
    XML = 0
    PROTOBUF = 1


@dataclass(frozen=True, slots=True)
class Frame:
    encoding: Encoding
    payload: bytes   # the whole XML document, or the TakMessage bytes without magic and length


def as_sent(frame: Frame) -> bytes:
    """The frame's bytes as they go on the wire again (XML with the declaration, see cot.xml)."""
    if frame.encoding is Encoding.XML:
        if frame.payload.startswith(b"<?xml"):
            return frame.payload
        return XML_DECLARATION + frame.payload
    length = len(frame.payload)
    header = bytearray([MAGIC])
    while True:
        byte = length & 0x7F
        length >>= 7
        header.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(header) + frame.payload


class StreamDecoder:
    def __init__(self, max_event_bytes: int):
        self.max_event_bytes = max_event_bytes
        self._buffer = bytearray()
        self._scanned = 0            # bytes of the buffer already searched for END_TAG
        self._skip_xml = False       # discarding an oversized XML frame up to its END_TAG
        self._skip_bytes = 0         # discarding an oversized protobuf frame by its length
        self._spoke_protobuf = False  # a version 1 frame was seen: resynchronise on 0xbf too

    def feed(self, data: bytes) -> list[Frame | Dropped]:
        """Add received bytes; return the frames (and drops) completed by them, in stream order."""
        self._buffer += data
        out: list[Frame | Dropped] = []
        while self._buffer:
            if self._skip_bytes:
                taken = min(self._skip_bytes, len(self._buffer))
                del self._buffer[:taken]
                self._skip_bytes -= taken
                continue
            if self._skip_xml:
                if not self._skip_to_end_tag():
                    break
                out.append(Dropped(DropReason.OVERSIZED, f"XML event over {self.max_event_bytes} bytes"))
                continue
            start = self._leading_whitespace()
            if start:
                del self._buffer[:start]
                self._scanned = max(0, self._scanned - start)
                continue
            if self._buffer[0] != MAGIC:
                garbage = self._garbage_length()
                if garbage is None:
                    break
                if garbage:
                    del self._buffer[:garbage]
                    self._scanned = 0
                    out.append(Dropped(DropReason.MALFORMED, f"{garbage} bytes that begin no event skipped"))
                    continue
            item = self._next_protobuf() if self._buffer[0] == MAGIC else self._next_xml()
            if item is None:
                break
            out.append(item)
        return out

    def _garbage_length(self) -> int | None:
        """How many leading bytes begin no event (0: an event starts here; None: too few bytes yet)."""
        buffer = self._buffer
        if _XML_START.match(buffer):
            return 0
        head = bytes(buffer[:_LONGEST_START])
        if len(buffer) < _LONGEST_START and (b"<?xml".startswith(head) or b"<event".startswith(head)):
            return None  # could still become a start
        starts = _ANY_START if self._spoke_protobuf else _XML_START
        found = starts.search(buffer, 1)
        if found is not None:
            return found.start()
        # Keep a start's length so one split across reads is still found.
        return len(buffer) - _LONGEST_START if len(buffer) > _LONGEST_START else None

    def finish(self) -> list[Dropped]:
        """The connection closed: whatever is buffered is a truncated event."""
        pending = bytes(self._buffer).strip(_WHITESPACE)
        self._buffer.clear()
        if pending or self._skip_xml or self._skip_bytes:
            message = f"connection closed inside an event ({len(pending)} bytes)"
            return [Dropped(DropReason.TRUNCATED, message)]
        return []

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def _leading_whitespace(self) -> int:
        index = 0
        buffer = self._buffer
        while index < len(buffer) and buffer[index] in _WHITESPACE:
            index += 1
        return index

    def _next_xml(self) -> Frame | Dropped | None:
        # Search only the new bytes (minus a tag's length of overlap): the buffer may grow slowly.
        found = self._buffer.find(END_TAG, max(0, self._scanned - len(END_TAG) + 1))
        if found < 0:
            self._scanned = len(self._buffer)
            if len(self._buffer) > self.max_event_bytes:
                self._skip_xml = True
            return None
        end = found + len(END_TAG)
        event_at = self._buffer.find(b"<event", 0, end) if self._buffer.startswith(b"<?xml") else 0
        second = _XML_START.search(self._buffer, max(event_at, 0) + 1, end)
        if second is not None:
            # An event cut short by the next one: drop the stump, keep what follows.
            cut = second.start()
            del self._buffer[:cut]
            self._scanned = 0
            return Dropped(DropReason.MALFORMED, f"an event cut short after {cut} bytes")
        payload = bytes(self._buffer[:end])
        del self._buffer[:end]
        self._scanned = 0
        if len(payload) > self.max_event_bytes:
            message = f"{len(payload)} bytes over the {self.max_event_bytes} byte limit"
            return Dropped(DropReason.OVERSIZED, message)
        return Frame(Encoding.XML, payload)

    def _skip_to_end_tag(self) -> bool:
        found = self._buffer.find(END_TAG)
        if found < 0:
            # Keep a tag's length minus one so a tag split across reads is still found.
            keep = len(END_TAG) - 1
            if len(self._buffer) > keep:
                del self._buffer[: len(self._buffer) - keep]
            return False
        del self._buffer[: found + len(END_TAG)]
        self._skip_xml = False
        self._scanned = 0
        return True

    def _next_protobuf(self) -> Frame | Dropped | None:
        length = 0
        shift = 0
        index = 1
        while True:
            if index >= len(self._buffer):
                return None                      # the varint is not complete yet
            byte = self._buffer[index]
            length |= (byte & 0x7F) << shift
            index += 1
            if not byte & 0x80:
                break
            shift += 7
            if index > _MAX_VARINT_BYTES:
                self._buffer.clear()             # no way to find the next frame: caller disconnects
                return Dropped(DropReason.MALFORMED, "protobuf frame length is not a varint")
        if length > self.max_event_bytes:
            del self._buffer[:index]
            self._skip_bytes = length
            return Dropped(DropReason.OVERSIZED, f"protobuf frame of {length} bytes over the limit")
        if len(self._buffer) < index + length:
            return None
        payload = bytes(self._buffer[index : index + length])
        del self._buffer[: index + length]
        self._spoke_protobuf = True
        return Frame(Encoding.PROTOBUF, payload)
