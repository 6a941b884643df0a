"""TAXII 2.1 media types, response bodies and the error message (TAXII 2.1 §1.6.8, §3.6.1)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from starlette.responses import Response

from concord.domain.errors import RENDERING, Code, ConcordError

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
_TITLES = {
    400: "The request was invalid",
    401: "Authentication required",
    403: "Not allowed",
    404: "Not found",
    406: "Not acceptable",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    503: "Service unavailable",
}
AUTH_CHALLENGE = 'Basic realm="Concord TAXII", charset="UTF-8", Bearer realm="Concord TAXII"'


class TaxiiResponse(Response):
    media_type = TAXII_MEDIA_TYPE


def taxii_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> TaxiiResponse:
    return TaxiiResponse(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status, headers)


def error(
    status: int,
    description: str,
    *,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    error_code: str | None = None,
) -> TaxiiResponse:
    """The TAXII error message resource (§3.6.1)."""
    body: dict[str, Any] = {
        "title": _TITLES.get(status, "Error"),
        "description": description,
        "http_status": str(status),
    }
    if error_code:
        body["error_code"] = error_code
    if details:
        body["details"] = details
    return taxii_json(body, status, headers)


def from_domain(exc: ConcordError) -> TaxiiResponse:
    status = RENDERING[exc.code].taxii  # §3.6: 400, 401, 403, 404, 406, 413, 415, 422
    headers = {"WWW-Authenticate": AUTH_CHALLENGE} if status == 401 else None
    if exc.code is Code.THROTTLED:
        headers = {"Retry-After": str(exc.details.get("retry_after", 60))}
    return error(status, exc.message, details=exc.details or None, headers=headers, error_code=exc.code.value)


def envelope(
    raw_objects: Iterable[str], more: bool, next_token: str | None, headers: dict[str, str] | None = None
) -> TaxiiResponse:
    """An envelope (§3.7) built from the objects' stored text, without re-serialising them."""
    head = '{"more":' + ("true" if more else "false")
    if next_token is not None:
        head += ',"next":' + json.dumps(next_token)
    objects = list(raw_objects)
    body = head + (',"objects":[' + ",".join(objects) + "]}" if objects else "}")
    return TaxiiResponse(body, 200, headers)
