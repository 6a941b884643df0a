"""Headers for files handed to a browser that must never be rendered in the centre's origin."""

from __future__ import annotations

import base64
from urllib.parse import quote

#: Types a browser would run or render as a document (script, markup) if it displayed them: these
#: are always sent as plain bytes, whatever the centre's list of accepted types says.
ACTIVE_TYPES = frozenset({
    "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
    "text/javascript", "application/javascript", "application/ecmascript", "text/ecmascript",
    "application/x-shockwave-flash",
})


def content_disposition(filename: str) -> str:
    """RFC 6266 `attachment`: an ASCII fallback `filename` and the exact name as UTF-8 `filename*`
    (RFC 8187), so Turkish and Arabic names survive and quoting cannot be broken out of."""
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\%;' else "_" for c in filename) or "attachment"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment_headers(filename: str, content_type: str, sha256_hex: str) -> tuple[str, dict[str, str]]:
    """(media type, headers) for an attachment download: always a download, never sniffed, never
    rendered inline, not cached by shared caches, with the digest the message recorded (RFC 9530)."""
    if content_type in ACTIVE_TYPES or not content_type:
        media_type = "application/octet-stream"
    elif content_type.startswith("text/"):
        media_type = f"{content_type}; charset=utf-8"  # text attachments were checked to be UTF-8
    else:
        media_type = content_type
    digest = base64.b64encode(bytes.fromhex(sha256_hex)).decode() if sha256_hex else None
    headers = {
        "Content-Disposition": content_disposition(filename),
        "X-Content-Type-Options": "nosniff",
        # Should a browser open it anyway, it gets no scripts, no plugins and an opaque origin.
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    if digest:
        headers["Repr-Digest"] = f"sha-256=:{digest}:"
        headers["ETag"] = f'"{sha256_hex}"'
    return media_type, headers
