"""Attachment rules: the allow-list, the content checked against the declared type, names, sizes."""

from __future__ import annotations

import hashlib

import pytest

from concord.domain.attachments import AttachmentLimits, Upload, base_type, check_upload, check_uploads
from concord.domain.errors import Invalid, TooLarge
from tests.factories import tiny_png

LIMITS = AttachmentLimits()
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00" + bytes(200)
ZIP = b"PK\x03\x04" + bytes(100)


def check(name: str | None, declared: str | None, content: bytes, limits: AttachmentLimits = LIMITS):  # type: ignore[no-untyped-def]
    return check_upload(Upload(name, declared, content), 1, limits, "files[0]")


def refused(name: str | None, declared: str | None, content: bytes, limits: AttachmentLimits = LIMITS) -> str:
    with pytest.raises(Invalid) as err:
        check(name, declared, content, limits)
    assert err.value.field is not None
    return err.value.field


def test_a_file_whose_content_matches_its_type_is_accepted_with_its_digest() -> None:
    png = tiny_png()
    a = check("Sınır karakolu — مخفر.png", "image/png", png)
    assert (a.number, a.filename, a.content_type, a.size) == (1, "Sınır karakolu — مخفر.png", "image/png", len(png))
    assert a.sha256 == hashlib.sha256(png).hexdigest()
    assert check("annex.pdf", "application/pdf", PDF).content_type == "application/pdf"
    assert check("grid.csv", "text/csv", b"grid,time\n38SMB123456,0900Z\n").content_type == "text/csv"


def test_a_type_off_the_list_is_refused_naming_the_field() -> None:
    assert refused("a.exe", "application/x-msdownload", EXE) == "files[0].content_type"
    assert refused("page.html", "text/html", b"<html><script>alert(1)</script></html>") == "files[0].content_type"
    assert refused("drawing.svg", "image/svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg'/>") == \
        "files[0].content_type"
    only_text = AttachmentLimits(allowed_types=frozenset({"text/plain"}))
    assert refused("a.png", "image/png", tiny_png(), only_text) == "files[0].content_type"


def test_the_declared_type_must_match_the_content() -> None:
    # an executable or an archive under an accepted name and type
    assert refused("report.pdf", "application/pdf", EXE) == "files[0].content_type"
    assert refused("photo.png", "image/png", ZIP) == "files[0].content_type"
    assert refused("notes.txt", "text/plain", EXE) == "files[0].content_type"
    assert refused("photo.jpg", "image/jpeg", tiny_png()) == "files[0].content_type"
    # a signed type whose content has no signature at all
    assert refused("scan.pdf", "application/pdf", b"just some text") == "files[0].content_type"
    # text types: UTF-8 text, JSON types parse
    assert refused("notes.txt", "text/plain", "Günaydın".encode("cp1254")) == "files[0].content_type"
    assert refused("notes.txt", "text/plain", b"bell\x07") == "files[0].content_type"
    assert refused("route.geojson", "application/geo+json", b"{not json") == "files[0].content_type"


def test_an_undeclared_type_is_taken_from_the_signature_or_a_text_name() -> None:
    assert check("photo", "application/octet-stream", tiny_png()).content_type == "image/png"
    assert check("route.geojson", "", b'{"type": "Point", "coordinates": [44, 36]}').content_type == \
        "application/geo+json"
    assert check("notes.txt", None, b"hello").content_type == "text/plain"
    assert refused("tool", "application/octet-stream", EXE) == "files[0].content_type"
    assert refused("blob.bin", "", b"\x00\x01\x02") == "files[0].content_type"


def test_names_and_sizes() -> None:
    for bad in ("", "   ", ".", "..", "../etc/passwd", "a\\b.txt", "new\nline.txt", "rtl\u202etxt.exe", "x" * 256):
        assert refused(bad, "text/plain", b"x") == "files[0].filename"
    assert refused(None, "text/plain", b"x") == "files[0].filename"
    assert refused("empty.txt", "text/plain", b"") == "files[0].size"
    small = AttachmentLimits(max_bytes=10)
    check("ten.txt", "text/plain", b"x" * 10, small)
    with pytest.raises(TooLarge) as err:
        check("eleven.txt", "text/plain", b"x" * 11, small)
    assert err.value.field == "files[0].size" and err.value.details["limit"] == 10


def test_many_files_are_numbered_in_order_and_the_count_is_limited() -> None:
    uploads = [Upload(f"n{i}.txt", "text/plain", f"note {i}".encode()) for i in range(3)]
    assert [a.number for a in check_uploads(uploads, LIMITS, first_number=4)] == [4, 5, 6]
    with pytest.raises(TooLarge) as err:
        check_uploads(uploads, AttachmentLimits(max_count=2))
    assert err.value.field == "files"
    with pytest.raises(Invalid) as bad:
        check_uploads([uploads[0], Upload("x.exe", "application/x-msdownload", EXE)], LIMITS)
    assert bad.value.field == "files[1].content_type"


def test_base_type() -> None:
    assert base_type("Text/Plain; charset=UTF-8") == "text/plain"
    assert base_type(None) == ""
