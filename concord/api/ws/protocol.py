"""The `/api/ws` frame protocol: JSON text frames, close codes and resume hints.

Documented for client authors in docs/websocket.md; this module is the authority.

Client → server
  `{"type": "hello", "last_event_id": N | null, "received_after": [ids]}`  first frame; resume
      after N (null: from now). `received_after` lists ids above N the client already holds (events
      delivered ahead of N by precedence), so they are not sent twice.
  `{"type": "ping", "nonce": "…"}` → `pong` with the same nonce; `{"type": "pong"}` answers ours.
  `{"type": "ack" | "read", "message_id": N, "ref": "…"}` → `ok` (or `error`) with the same ref.
  `{"type": "received", "last_event_id": N, "received_after": [ids]}`  the client holds every event
      up to N and those listed (as in a resume): the receipt from which messages count as delivered.
      No answer; an invalid one gets an `error` frame.
Server → client
  `welcome`, `event` (`{"cursor": C, "event": {...}}`: every event the client may see with id ≤ C
  has been sent), `ok`, `error` (`code`, `message`, `field`; the connection stays up), `ping`,
  `pong`, and `closing` (`code`, `reason`, `resume_from`) just before the server closes.
  `presence` (`{"changes": [{"person_id", "nation", "online"}]}` or `{"changes": [], "reload": true}`):
      who came online or went offline; ephemeral (not in the event log, no cursor, not resent on
      resume): a client takes the `GET /api/presence` snapshot after every welcome, and again on
      `reload` (it fell too far behind for the changes to be kept).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from concord.domain import json_limits
from concord.domain.errors import RENDERING, Code, ConcordError, Invalid, TooLarge

MAX_FRAME_BYTES = 64 * 1024
MAX_REF_CHARS = 64


def _closing(code: Code) -> int:
    close = RENDERING[code].ws_close
    assert close is not None, f"{code} never ends a connection"
    return close


class CloseCode(IntEnum):
    """WebSocket close codes (RFC 6455 §7.4: 4000-4999 are the application's). Those that end a
    session for a domain failure come from the one error table (`domain.errors.RENDERING`)."""

    NORMAL = 1000
    GOING_AWAY = _closing(Code.UNAVAILABLE)  # the server is shutting down: reconnect elsewhere and resume
    BAD_HELLO = _closing(Code.INVALID)  # the first frame was not a valid hello (or none came in time)
    UNAUTHENTICATED = _closing(Code.UNAUTHENTICATED)  # no valid session cookie or bearer token; sign in again
    SIGNED_OUT = _closing(Code.FORBIDDEN)  # the session ended (signed out, disabled, appointment over)
    HEARTBEAT_TIMEOUT = 4408  # nothing heard from the client for too long: resume
    RESUME_UNKNOWN = _closing(Code.CONFLICT)  # last_event_id is beyond this centre's log: resume from the hint
    SLOW_CONSUMER = _closing(Code.THROTTLED)  # the client fell too far behind (queue full): resume


def close_code(code: Code) -> CloseCode:
    """The close code for a domain failure that ends a session (the error table's WebSocket column)."""
    return CloseCode(_closing(code))


#: Codes after which the client should reconnect and send the hint as its `last_event_id`.
RESUMABLE: frozenset[CloseCode] = frozenset(
    {CloseCode.GOING_AWAY, CloseCode.HEARTBEAT_TIMEOUT, CloseCode.RESUME_UNKNOWN, CloseCode.SLOW_CONSUMER}
)


@dataclass(frozen=True, slots=True)
class Hello:
    last_event_id: int | None
    received_after: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Received:
    """What the client confirms it holds: delivery receipts rest on this, never on what was written."""

    last_event_id: int
    received_after: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Ping:
    nonce: str | None


@dataclass(frozen=True, slots=True)
class Pong:
    pass


@dataclass(frozen=True, slots=True)
class MessageAction:
    """`ack` (acknowledge a FLASH/IMMEDIATE message) or `read` (mark it read)."""

    action: str
    message_id: int
    ref: str | None


ClientFrame = Hello | Received | Ping | Pong | MessageAction


def _int(value: Any, field: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or value >= 2**63:
        raise Invalid(f"{field} must be an integer ≥ {minimum}", field=field)
    return value


def _text(value: Any, field: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise Invalid(f"{field} must be text of at most {limit} characters", field=field)
    return value


def parse_client_frame(
    raw: str | bytes, *, max_bytes: int = MAX_FRAME_BYTES, max_received: int = 4096
) -> ClientFrame:
    """One client frame, or a domain error naming the problem (sent back as an `error` frame)."""
    if isinstance(raw, bytes):
        raise Invalid("frames are JSON text, not binary", field="frame")
    if len(raw) > max_bytes or len(raw.encode("utf-8", "surrogatepass")) > max_bytes:
        raise TooLarge(f"a frame is at most {max_bytes} bytes", field="frame")
    data = json_limits.loads(raw, field="frame")
    if not isinstance(data, dict):
        raise Invalid("a frame is a JSON object", field="frame")
    kind = data.get("type")
    if kind in ("hello", "received"):
        last = data.get("last_event_id")
        if last is None and kind == "received":
            raise Invalid("last_event_id is required", field="last_event_id")
        last_id = None if last is None else _int(last, "last_event_id", minimum=0)
        received = data.get("received_after", [])
        if not isinstance(received, list):
            raise Invalid("received_after must be a list of event ids", field="received_after")
        if len(received) > max_received:
            raise TooLarge(f"received_after lists at most {max_received} ids", field="received_after")
        ids = frozenset(_int(v, "received_after", minimum=1) for v in received)
        if ids and (last_id is None or min(ids) <= last_id):
            raise Invalid("received_after lists only ids above last_event_id", field="received_after")
        if last_id is not None and kind == "received":
            return Received(last_id, ids)
        return Hello(last_id, ids)
    if kind == "ping":
        return Ping(_text(data.get("nonce"), "nonce", MAX_REF_CHARS))
    if kind == "pong":
        return Pong()
    if kind in ("ack", "read"):
        return MessageAction(
            kind,
            _int(data.get("message_id"), "message_id", minimum=1),
            _text(data.get("ref"), "ref", MAX_REF_CHARS),
        )
    if not isinstance(kind, str):
        raise Invalid("a frame names its type", field="type")
    raise Invalid(f"unknown frame type {kind[:32]!r}; use hello, received, ping, pong, ack or read", field="type")


def dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def welcome_frame(*, resume_from: int, latest: int, heartbeat_seconds: float, queue_capacity: int) -> str:
    return dumps(
        {
            "type": "welcome",
            "resume_from": resume_from,
            "latest": latest,
            "heartbeat_seconds": heartbeat_seconds,
            "max_frame_bytes": MAX_FRAME_BYTES,
            "queue_capacity": queue_capacity,
        }
    )


def event_body(event: dict[str, Any]) -> str:
    """An event rendered once, shared by every session that sends it."""
    return dumps(event)


def event_frame(body: str, cursor: int) -> str:
    """Wraps a pre-rendered event body without parsing it again."""
    return f'{{"type":"event","cursor":{cursor},"event":{body}}}'


def error_frame(error: ConcordError, ref: str | None = None) -> str:
    frame: dict[str, Any] = {"type": "error", "code": error.code.value, "message": error.message}
    if error.field is not None:
        frame["field"] = error.field
    if ref is not None:
        frame["ref"] = ref
    return dumps(frame)


def ok_frame(action: str, ref: str | None, **extra: Any) -> str:
    return dumps({"type": "ok", "for": action, "ref": ref, **extra})


def presence_frame(changes: Sequence[tuple[int, str, bool]]) -> str:
    return dumps({"type": "presence", "changes": [{"person_id": p, "nation": n, "online": up}
                                                  for p, n, up in changes]})


def presence_reload_frame() -> str:
    return dumps({"type": "presence", "changes": [], "reload": True})


def ping_frame(nonce: str | None = None) -> str:
    return dumps({"type": "ping", "nonce": nonce})


def pong_frame(nonce: str | None) -> str:
    return dumps({"type": "pong", "nonce": nonce})


def closing_frame(code: CloseCode, reason: str, resume_from: int | None) -> str:
    return dumps({"type": "closing", "code": int(code), "reason": reason, "resume_from": resume_from})


def close_reason(code: CloseCode, resume_from: int | None) -> str:
    """The close frame's reason: the resume hint as compact JSON (RFC 6455 allows 123 bytes)."""
    if resume_from is None or code not in RESUMABLE:
        return code.name.lower()
    reason = dumps({"resume_from": resume_from})
    assert len(reason.encode()) <= 123
    return reason
