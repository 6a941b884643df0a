"""Message attachments: what may be attached (count, size, an allow-list of types), checked against
the bytes themselves, and the SHA-256 each attachment is known by.

Pure: the content arrives as bytes and nothing is read or written here. The declared type is never
trusted alone: where the content has a signature that `filetype` recognises (PDF, PNG, JPEG, WebP,
executables, archives, …) it must be the declared type; text types must be UTF-8 text without
control characters, and JSON types must parse.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import filetype

from concord.domain.errors import Invalid, TooLarge

DEFAULT_TYPES = frozenset({
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/webp",
    "text/plain",
    "text/csv",
    "application/geo+json",
    "application/json",
})

#: Types whose content is text: no signature to compare, so the content must be UTF-8 text.
TEXT_TYPES = frozenset({"text/plain", "text/csv", "application/json", "application/geo+json"})
JSON_TYPES = frozenset({"application/json", "application/geo+json"})

#: What a browser may say when it does not know a file's type; then the content or the name decides.
UNDECLARED = frozenset({"", "application/octet-stream"})

#: Names `filetype` gives to types we list under another name.
_SAME_TYPE = {"image/apng": "image/png"}

#: The text types have no signature; a browser sends "" or octet-stream for some of these names.
_TEXT_BY_SUFFIX = {".txt": "text/plain", ".csv": "text/csv", ".json": "application/json",
                   ".geojson": "application/geo+json"}

#: Every type `filetype` can recognise by its signature.
_SIGNED = frozenset(_SAME_TYPE.get(t.mime, t.mime) for t in filetype.types)

_TEXT_CONTROLS = {"\n", "\r", "\t", "\f"}


@dataclass(frozen=True, slots=True)
class AttachmentLimits:
    max_bytes: int = 10 * 1024 * 1024
    max_count: int = 5
    allowed_types: frozenset[str] = field(default=DEFAULT_TYPES)

    @property
    def max_total_bytes(self) -> int:
        return self.max_bytes * self.max_count


@dataclass(frozen=True, slots=True)
class Attachment:
    """One attached file as a message refers to it: its number within the message (1, 2, …; kept
    across edits), name, type, size and the SHA-256 of its bytes (hex)."""

    number: int
    filename: str
    content_type: str
    size: int
    sha256: str

    def to_dict(self) -> dict[str, object]:
        return {"number": self.number, "filename": self.filename, "content_type": self.content_type,
                "size": self.size, "sha256": self.sha256}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Attachment:
        number, size = data["number"], data["size"]
        assert isinstance(number, int) and isinstance(size, int)
        return cls(number, str(data["filename"]), str(data["content_type"]), size, str(data["sha256"]))


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as received: the name and type its sender declared, and its bytes."""

    filename: str | None
    declared_type: str | None
    content: bytes


def base_type(content_type: str | None) -> str:
    """`text/plain; charset=utf-8` → `text/plain` (lower case, no parameters)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def check_filename(name: str | None, where: str) -> str:
    text = unicodedata.normalize("NFC", (name or "").strip())
    if (not text or len(text) > 255 or text in (".", "..") or any(c in text for c in "/\\")
            or any(unicodedata.category(c) in ("Cc", "Cf") for c in text)):
        raise Invalid("a file name of 1 to 255 characters, without path separators or control characters",
                      field=f"{where}.filename")
    return text


def _resolved_type(upload: Upload, name: str, detected: str | None) -> str:
    declared = base_type(upload.declared_type)
    if declared not in UNDECLARED:
        return declared
    if detected is not None:
        return detected
    suffix = name[name.rfind("."):].lower() if "." in name else ""
    return _TEXT_BY_SUFFIX.get(suffix, declared or "application/octet-stream")


def _check_text(content: bytes, content_type: str, where: str) -> None:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid(f"the content of a {content_type} file must be UTF-8 text",
                      field=f"{where}.content_type") from None
    if any(unicodedata.category(c) == "Cc" and c not in _TEXT_CONTROLS for c in text):
        raise Invalid(f"the content of a {content_type} file must be text, without control characters",
                      field=f"{where}.content_type")
    if content_type in JSON_TYPES:
        try:
            json.loads(text)
        except ValueError:
            raise Invalid(f"the content of a {content_type} file must be JSON", field=f"{where}.content_type") from None


def check_upload(upload: Upload, number: int, limits: AttachmentLimits, where: str) -> Attachment:
    """The attachment `upload` becomes, after every rule; Invalid or TooLarge naming `where`'s part."""
    name = check_filename(upload.filename, where)
    size = len(upload.content)
    if size > limits.max_bytes:
        raise TooLarge(f"{name} is larger than {limits.max_bytes} bytes", field=f"{where}.size",
                       details={"limit": limits.max_bytes})
    if size == 0:
        raise Invalid(f"{name} is empty", field=f"{where}.size")
    guessed = filetype.guess_mime(upload.content)
    detected = _SAME_TYPE.get(guessed, guessed) if guessed else None
    content_type = _resolved_type(upload, name, detected)
    if content_type not in limits.allowed_types:
        allowed = ", ".join(sorted(limits.allowed_types))
        raise Invalid(f"type {content_type!r} is not accepted; use one of {allowed}", field=f"{where}.content_type",
                      details={"allowed": sorted(limits.allowed_types)})
    if detected is not None and detected != content_type:
        raise Invalid(f"{name} is declared {content_type} but its content is {detected}",
                      field=f"{where}.content_type")
    if detected is None and content_type in _SIGNED:
        raise Invalid(f"{name} is declared {content_type} but its content is not", field=f"{where}.content_type")
    if content_type in TEXT_TYPES:
        _check_text(upload.content, content_type, where)
    return Attachment(number, name, content_type, size, hashlib.sha256(upload.content).hexdigest())


def check_uploads(uploads: Sequence[Upload], limits: AttachmentLimits, *, first_number: int = 1,
                  where: str = "files") -> tuple[Attachment, ...]:
    """Every upload checked, numbered from `first_number` in the order given."""
    if len(uploads) > limits.max_count:
        raise TooLarge(f"at most {limits.max_count} attachments per message", field=where,
                       details={"limit": limits.max_count})
    return tuple(check_upload(u, first_number + i, limits, f"{where}[{i}]") for i, u in enumerate(uploads))
