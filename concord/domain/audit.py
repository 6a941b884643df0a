"""Audit entries and their canonical encoding as Merkle leaves (no I/O).

A leaf is the RFC 8785 (JSON Canonicalization Scheme) encoding of the entry: keys sorted, no
spaces, UTF-8. Entry fields are restricted to strings, integers within ±2**53 and null, for which
`json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)` produces exactly the RFC 8785
bytes (a property test checks this against the `rfc8785` package); the C encoder keeps verifying a
million-entry bundle fast. Item content (which may hold floats, e.g. coordinates) is hashed with the
`rfc8785` package itself.

Each entry carries a random nonce so that the leaf hash of an entry a nation may not read reveals
nothing about it: without the nonce nobody can confirm a guess of its content from the hash.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import rfc8785

from concord.domain.errors import Invalid
from concord.domain.markings import Marking
from concord.domain.merkle import leaf_hash

_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
_HEX32 = re.compile(r"^[0-9a-f]{64}$")
_HEX16 = re.compile(r"^[0-9a-f]{32}$")
_NATION = re.compile(r"^[A-Z]{3}$")
_MAX_SAFE_INT = 2**53 - 1

#: Actions that are reads rather than changes (reads of items above the configured level are audited).
READ_ACTION = "read"


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON of any JSON value (floats included)."""
    return bytes(rfc8785.dumps(value))


def content_hash(content: Mapping[str, Any] | None, marking: Marking | None) -> str:
    """SHA-256 (hex) of an item's canonical content together with its marking."""
    document = {"content": content, "marking": marking.to_dict() if marking is not None else None}
    return hashlib.sha256(canonical_json(document)).hexdigest()


def new_nonce() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One leaf of the audit log: who did what to which item, when, and a hash of what it was."""

    sequence: int  # 0-based leaf index
    time: str  # ISO 8601 UTC with Z
    actor_person: int | None  # None for the system itself
    actor_nation: str | None
    action: str  # e.g. "intel.created", "read"
    item_type: str
    item_id: str
    content_hash: str  # hex SHA-256 of canonical content + marking
    request_id: str | None
    nonce: str  # 16 random bytes, hex

    def to_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies every value, which triples the cost of hashing a leaf.
        return {name: getattr(self, name) for name in _FIELDS}

    def leaf(self) -> bytes:
        """The canonical bytes hashed into the tree."""
        return encode_leaf(self.to_dict())

    def leaf_hash(self) -> bytes:
        return leaf_hash(self.leaf())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditEntry:
        """Build and validate an entry from its JSON form (as exported in a bundle)."""
        if not isinstance(data, Mapping):
            raise Invalid("an audit entry is a JSON object", field="entry")
        names = set(_FIELDS)
        if set(data) != names:
            missing, extra = sorted(names - set(data)), sorted(set(data) - names)
            raise Invalid(f"audit entry fields differ: missing {missing}, unexpected {extra}", field="entry")
        entry = cls(**{name: data[name] for name in _FIELDS})
        entry.validate()
        return entry

    def validate(self) -> None:
        def bad(name: str, why: str) -> Invalid:
            return Invalid(f"audit entry {name} {why}", field=f"entry.{name}")

        if type(self.sequence) is not int or not 0 <= self.sequence <= _MAX_SAFE_INT:
            raise bad("sequence", "must be a non-negative integer")
        if not isinstance(self.time, str) or not _TIME.match(self.time):
            raise bad("time", "must be ISO 8601 UTC ending in Z")
        if self.actor_person is not None and (
            type(self.actor_person) is not int or abs(self.actor_person) > _MAX_SAFE_INT
        ):
            raise bad("actor_person", "must be an integer or null")
        if self.actor_nation is not None and (
            not isinstance(self.actor_nation, str) or not _NATION.match(self.actor_nation)
        ):
            raise bad("actor_nation", "must be an ISO 3166-1 alpha-3 code or null")
        for name in ("action", "item_type", "item_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or len(value) > 200:
                raise bad(name, "must be a non-empty string of at most 200 characters")
        if not isinstance(self.content_hash, str) or not _HEX32.match(self.content_hash):
            raise bad("content_hash", "must be 64 lowercase hex digits")
        if self.request_id is not None and (
            not isinstance(self.request_id, str) or len(self.request_id) > 200
        ):
            raise bad("request_id", "must be a string of at most 200 characters or null")
        if not isinstance(self.nonce, str) or not _HEX16.match(self.nonce):
            raise bad("nonce", "must be 32 lowercase hex digits")


_FIELDS = tuple(f.name for f in fields(AuditEntry))


def encode_leaf(fields: Mapping[str, str | int | None]) -> bytes:
    """RFC 8785 bytes of a flat object of strings, safe integers and nulls (see the module docstring)."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
