"""The WebSocket adapter, `/api/ws`: `endpoint` (admission), `session` (one connection's life),
`protocol` (frames and close codes), `outbox` (a session's own queue and heartbeat), `fanout` (the
frames a reader class shares), `server` (the uvicorn protocol that writes shared frames)."""

from concord.api.ws.endpoint import router

__all__ = ["router"]
