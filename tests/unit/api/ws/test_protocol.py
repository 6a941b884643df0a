from __future__ import annotations

import json

import pytest

from concord.api.ws.protocol import (
    CloseCode,
    Hello,
    MessageAction,
    Ping,
    Pong,
    close_reason,
    closing_frame,
    error_frame,
    event_body,
    event_frame,
    parse_client_frame,
    welcome_frame,
)
from concord.domain.errors import Code, ConcordError, Invalid, TooLarge


def test_valid_client_frames() -> None:
    assert parse_client_frame('{"type":"hello","last_event_id":41}') == Hello(41)
    assert parse_client_frame('{"type":"hello","last_event_id":null}') == Hello(None)
    assert parse_client_frame('{"type":"hello"}') == Hello(None)
    assert parse_client_frame('{"type":"hello","last_event_id":10,"received_after":[12,15]}') == Hello(
        10, frozenset({12, 15})
    )
    assert parse_client_frame('{"type":"ping","nonce":"n1"}') == Ping("n1")
    assert parse_client_frame('{"type":"pong"}') == Pong()
    assert parse_client_frame('{"type":"ack","message_id":7,"ref":"r"}') == MessageAction("ack", 7, "r")
    assert parse_client_frame('{"type":"read","message_id":7}') == MessageAction("read", 7, None)


@pytest.mark.parametrize(
    ("raw", "error", "field"),
    [
        ("not json", Invalid, "frame"),
        ("[1,2]", Invalid, "frame"),
        ('{"type":"hello","last_event_id":-1}', Invalid, "last_event_id"),
        ('{"type":"hello","last_event_id":"5"}', Invalid, "last_event_id"),
        ('{"type":"hello","last_event_id":true}', Invalid, "last_event_id"),
        ('{"type":"hello","last_event_id":1e3}', Invalid, "last_event_id"),
        ('{"type":"hello","last_event_id":5,"received_after":[5]}', Invalid, "received_after"),
        ('{"type":"hello","received_after":[6]}', Invalid, "received_after"),
        ('{"type":"hello","last_event_id":5,"received_after":"6"}', Invalid, "received_after"),
        ('{"type":"ack"}', Invalid, "message_id"),
        ('{"type":"ack","message_id":0}', Invalid, "message_id"),
        ('{"type":"read","message_id":99999999999999999999}', Invalid, "message_id"),
        ('{"type":"ack","message_id":3,"ref":' + json.dumps("r" * 65) + "}", Invalid, "ref"),
        ('{"type":"subscribe"}', Invalid, "type"),
        ('{"kind":"hello"}', Invalid, "type"),
        ("[" * 50000 + "]" * 50000, TooLarge, "frame"),
        ("[" * 30000 + "]" * 30000, Invalid, "frame"),  # deep nesting under the size limit
        ('{"type":"ping","nonce":"' + "x" * 70000 + '"}', TooLarge, "frame"),
    ],
)
def test_bad_frames_raise_an_error_naming_the_problem(
    raw: str, error: type[ConcordError], field: str
) -> None:
    with pytest.raises(error) as err:
        parse_client_frame(raw)
    assert err.value.field == field
    frame = json.loads(error_frame(err.value, ref="r1"))
    assert frame["type"] == "error" and frame["field"] == field and frame["ref"] == "r1"
    assert frame["code"] in {Code.INVALID, Code.TOO_LARGE} and frame["message"]


def test_binary_frames_and_oversized_resume_lists_are_refused() -> None:
    with pytest.raises(Invalid) as err:
        parse_client_frame(b'{"type":"ping"}')
    assert err.value.field == "frame"
    with pytest.raises(TooLarge) as too_large:
        parse_client_frame(
            json.dumps({"type": "hello", "last_event_id": 0, "received_after": list(range(1, 12))}),
            max_received=10,
        )
    assert too_large.value.field == "received_after"


def test_multibyte_text_counts_in_bytes() -> None:
    with pytest.raises(TooLarge):
        parse_client_frame('{"type":"ping","nonce":"' + "ğ" * 40 + '"}', max_bytes=64)


def test_server_frames_are_compact_json() -> None:
    body = event_body({"id": 5, "kind": "message.posted", "payload": {"body": "Merhaba / مرحبا"}})
    frame = json.loads(event_frame(body, cursor=4))
    assert frame == {
        "type": "event",
        "cursor": 4,
        "event": {"id": 5, "kind": "message.posted", "payload": {"body": "Merhaba / مرحبا"}},
    }
    welcome = json.loads(welcome_frame(resume_from=3, latest=9, heartbeat_seconds=20, queue_capacity=2048))
    assert welcome["type"] == "welcome" and welcome["resume_from"] == 3
    closing = json.loads(closing_frame(CloseCode.SLOW_CONSUMER, "queue full", 77))
    assert closing == {"type": "closing", "code": 4429, "reason": "queue full", "resume_from": 77}


def test_the_close_reason_carries_the_resume_hint_within_rfc6455_limits() -> None:
    assert json.loads(close_reason(CloseCode.SLOW_CONSUMER, 2**63 - 1)) == {"resume_from": 2**63 - 1}
    assert json.loads(close_reason(CloseCode.HEARTBEAT_TIMEOUT, 5)) == {"resume_from": 5}
    assert close_reason(CloseCode.UNAUTHENTICATED, 5) == "unauthenticated"
    assert all(4000 <= c < 5000 for c in CloseCode if c not in (CloseCode.NORMAL, CloseCode.GOING_AWAY))
