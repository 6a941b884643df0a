"""Download headers: always an attachment, an RFC 6266 filename* that survives any name, no sniffing,
and active types (HTML, SVG, scripts) never sent under their own type."""

from __future__ import annotations

import hashlib
from urllib.parse import unquote

from concord.api.downloads import attachment_headers, content_disposition

DIGEST = hashlib.sha256(b"x").hexdigest()


def test_the_filename_is_kept_exactly_and_cannot_break_out_of_the_header() -> None:
    name = 'rapor "son"; filename=evil.exe\\ — تقرير %41.pdf'
    header = content_disposition(name)
    assert header.startswith('attachment; filename="')
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert all(0x20 <= ord(c) < 0x7F and c not in '"\\;%' for c in fallback)
    encoded = header.rsplit("filename*=UTF-8''", 1)[1]
    assert unquote(encoded, encoding="utf-8") == name
    assert all(c not in encoded for c in ' ";\\')
    assert content_disposition("plain.txt") == "attachment; filename=\"plain.txt\"; filename*=UTF-8''plain.txt"


def test_active_types_are_sent_as_bytes_and_every_download_is_guarded() -> None:
    for active in ("text/html", "image/svg+xml", "application/xhtml+xml", "text/javascript", ""):
        media_type, _ = attachment_headers("x", active, DIGEST)
        assert media_type == "application/octet-stream"
    assert attachment_headers("a.txt", "text/plain", DIGEST)[0] == "text/plain; charset=utf-8"
    media_type, headers = attachment_headers("a.png", "image/png", DIGEST)
    assert media_type == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in headers["Content-Security-Policy"] and "no-store" in headers["Cache-Control"]
    assert headers["ETag"] == f'"{DIGEST}"' and headers["Repr-Digest"].startswith("sha-256=:")
