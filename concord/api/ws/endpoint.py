"""`/api/ws`: push every event the signed-in person may see; resume from the last id.

Authentication: `Authorization: Bearer <token>` or the `concord_session` cookie (then the
`Origin`, when sent, must be this server, so another site cannot ride the cookie). The protocol
(frames, close codes, the resume cursor) is in `concord.api.ws.protocol` and docs/websocket.md;
what a session does once admitted is in `concord.api.ws.session`.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from concord.api.deps import SESSION_COOKIE
from concord.api.drain import Drain
from concord.api.ws.protocol import CloseCode
from concord.api.ws.session import Closing, Session, close
from concord.centre import Centre
from concord.domain.errors import ConcordError

log = logging.getLogger(__name__)
router = APIRouter()


def _token(websocket: WebSocket) -> tuple[str | None, bool]:
    header = websocket.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    return websocket.cookies.get(SESSION_COOKIE), True


def _same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser
    return urlsplit(origin).netloc.lower() == websocket.headers.get("host", "").lower()


@router.websocket("/api/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    centre: Centre = websocket.app.state.centre
    token, by_cookie = _token(websocket)
    await websocket.accept()
    if token is None or (by_cookie and not _same_origin(websocket)):
        await close(websocket, CloseCode.UNAUTHENTICATED, "sign in first", None)
        return
    try:
        auth = await asyncio.to_thread(centre.auth.authenticate, token)
    except ConcordError:
        await close(websocket, CloseCode.UNAUTHENTICATED, "sign in first", None)
        return
    if not auth.actor.reader.may_read:
        await close(websocket, CloseCode.SIGNED_OUT, "no current appointment", None)
        return
    drain: Drain = websocket.app.state.drain
    session = Session(websocket, centre, auth.actor, token, drain)
    drain.sockets += 1
    try:
        await session.run()
    except Closing as closing:
        await close(websocket, closing.code, closing.reason, closing.resume_from)
    except WebSocketDisconnect:
        pass
    except Exception:
        log.exception("websocket session failed")
        await close(websocket, CloseCode.GOING_AWAY, "server error; resume", session.resume_point())
    else:
        await close(websocket, CloseCode.NORMAL, "bye", None)
    finally:
        drain.sockets -= 1
