"""The one place where domain errors become HTTP responses: `{"error": {code, message, details}}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from concord.domain.errors import RENDERING, Code, ConcordError, Throttled

log = logging.getLogger("concord.api")



class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, Any]


class ErrorOut(BaseModel):
    """Every error response: a stable machine code, a message naming the field, details."""

    error: ErrorDetail


#: Documented on every operation, so clients (and the OpenAPI fuzz run) know the error shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in [
        (401, "Not signed in, or the session has ended"),
        (403, "The signed-in person's role or appointment does not allow this"),
        (404, "No such item, or one the caller may not see"),
        (409, "The item's state does not allow this"),
        (413, "The request body is too large"),
        (422, "A field is missing, malformed or out of range (details.field names it)"),
        (429, "Too many attempts; see Retry-After"),
    ]
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(exc: ConcordError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Throttled) else None
    if exc.code is Code.UNAUTHENTICATED:
        headers = {"WWW-Authenticate": 'Bearer realm="concord"'}
    return JSONResponse(error_body(exc.code.value, exc.message, exc.details), RENDERING[exc.code].http, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[0] if loc else "body")


def _reason(message: str) -> str:
    return message.removeprefix("Value error, ")  # pydantic's prefix for our own validators' messages


def install(app: FastAPI) -> None:
    @app.exception_handler(ConcordError)
    async def _domain(_request: Request, exc: ConcordError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": ("body",), "msg": "invalid request"}
        field = _field(tuple(first.get("loc", ())))
        problems = [{"field": _field(tuple(e.get("loc", ()))), "reason": _reason(e.get("msg", ""))}
                    for e in errors[:20]]
        message = f"{field}: {_reason(str(first.get('msg', 'invalid')))}"
        return JSONResponse(error_body(Code.INVALID.value, message, {"field": field, "problems": problems}),
                            RENDERING[Code.INVALID].http)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: Code.NOT_FOUND, 405: "method_not_allowed", 413: Code.TOO_LARGE}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(str(code), str(exc.detail)), exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", extra={"path": request.url.path})
        return JSONResponse(error_body("internal", "an unexpected error occurred; it has been logged"), 500)
