"""TAXII 2.1 paging and filtering parameters (TAXII 2.1 §3.4 Pagination, §3.5 Filtering): the URL
parameters read into a `domain.intel_query.ObjectQuery`, and the `next` token codec.

Paging holds no state on the server: the `next` token is the position after the last item of a
page — its (date_added, storage id) — signed with the server's key so a client can neither forge
nor alter it. Items are served in (date_added, storage id) order and new items always sort after
the ones already stored (the store assigns both under one lock), so a client that follows `next`
sees every item exactly once while others keep adding, and any server process behind a load
balancer can answer the next page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping

from concord.domain.errors import Invalid
from concord.domain.intel_query import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Cursor, ObjectQuery, VersionMatch
from concord.domain.stix import timestamp_key

_TAG_BYTES = 16
_STIX_ID = re.compile(r"^[a-z][a-z0-9-]{1,248}[a-z0-9]--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_TYPE = re.compile(r"^[a-z][a-z0-9-]{1,248}[a-z0-9]$")
_SPEC_VERSION = re.compile(r"^\d+\.\d+$")


class CursorCodec:
    """Encodes and checks `next` tokens with an HMAC key (the same key in every server process)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the paging key must be at least 16 bytes")
        self._key = key

    def encode(self, cursor: Cursor) -> str:
        body = f"{cursor.date_added}|{cursor.row_id}".encode()
        tag = hmac.new(self._key, body, hashlib.sha256).digest()[:_TAG_BYTES]
        return base64.urlsafe_b64encode(tag + body).decode("ascii").rstrip("=")

    def decode(self, token: str) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            raw = base64.urlsafe_b64decode(padded.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise Invalid("'next' is not a token this server issued", field="next") from exc
        tag, body = raw[:_TAG_BYTES], raw[_TAG_BYTES:]
        expected = hmac.new(self._key, body, hashlib.sha256).digest()[:_TAG_BYTES]
        if len(tag) != _TAG_BYTES or not hmac.compare_digest(tag, expected):
            raise Invalid("'next' is not a token this server issued", field="next")
        date_added, _, row_id = body.decode("ascii").partition("|")
        return Cursor(date_added, int(row_id))


#: Parameters each endpoint accepts (TAXII 2.1 §5.3-§5.8 "URL Parameters").
OBJECTS_PARAMS = frozenset(
    {"added_after", "limit", "next", "match[id]", "match[type]", "match[version]", "match[spec_version]"}
)
MANIFEST_PARAMS = OBJECTS_PARAMS
OBJECT_PARAMS = frozenset({"added_after", "limit", "next", "match[version]", "match[spec_version]"})
VERSIONS_PARAMS = frozenset({"added_after", "limit", "next", "match[spec_version]"})
DELETE_PARAMS = frozenset({"match[version]", "match[spec_version]"})


def parse_query(
    params: Iterable[tuple[str, str]],
    allowed: frozenset[str],
    codec: CursorCodec,
    max_page_size: int = MAX_PAGE_SIZE,
) -> ObjectQuery:
    """Read the TAXII URL parameters of a request; raise `Invalid` naming the bad parameter.

    Parameters an endpoint does not define, and `match[...]` fields this server does not
    support, are ignored (§3.5: "servers MAY support other match fields"; ignoring is safe
    because it can only return more objects, each of which is still filtered by policy).
    A parameter given twice is an error: a client that repeats one cannot be served both values.
    """
    values: dict[str, str] = {}
    for name, value in params:
        if name not in allowed:
            continue
        if name in values:
            raise Invalid(f"'{name}' is given more than once; separate values with commas", field=name)
        values[name] = value
    query: dict[str, object] = {}
    if "match[id]" in values:
        query["ids"] = _list(values, "match[id]", _STIX_ID, "a STIX identifier")
    if "match[type]" in values:
        query["types"] = _list(values, "match[type]", _TYPE, "a STIX type name")
    if "match[spec_version]" in values:
        query["spec_versions"] = _list(values, "match[spec_version]", _SPEC_VERSION, "a version like 2.1")
    if "match[version]" in values:
        query["versions"] = _versions(values["match[version]"])
    if "added_after" in values:
        query["added_after"] = _timestamp(values["added_after"], "added_after")
    query["limit"] = _limit(values.get("limit"), max_page_size)
    if "next" in values:
        query["after"] = codec.decode(values["next"])
    return ObjectQuery(**query)  # type: ignore[arg-type]


def _list(values: Mapping[str, str], name: str, shape: re.Pattern[str], what: str) -> frozenset[str]:
    items = [v.strip() for v in values[name].split(",")]
    for item in items:
        if not shape.match(item):
            raise Invalid(f"{item!r} in '{name}' is not {what}", field=name)
    return frozenset(items)


def _versions(text: str) -> VersionMatch:
    first = last = every = False
    stamps: set[str] = set()
    for item in (v.strip() for v in text.split(",")):
        if item == "first":
            first = True
        elif item == "last":
            last = True
        elif item == "all":
            every = True
        else:
            try:
                stamps.add(timestamp_key(item))
            except ValueError as exc:
                raise Invalid(
                    f"{item!r} in 'match[version]' is not first, last, all or a STIX timestamp",
                    field="match[version]",
                ) from exc
    return VersionMatch(first=first, last=last, all=every, versions=frozenset(stamps))


def _timestamp(text: str, name: str) -> str:
    try:
        return timestamp_key(text)
    except ValueError as exc:
        raise Invalid(f"'{name}' must be a timestamp like 2024-01-31T12:00:00.000Z", field=name) from exc


def _limit(text: str | None, max_page_size: int) -> int:
    if text is None:
        return min(DEFAULT_PAGE_SIZE, max_page_size)
    if not text.isdigit() or int(text) < 1:
        raise Invalid("'limit' must be a positive whole number", field="limit")
    # §3.4: the server may return fewer items than asked for; it never errs on a large limit.
    return min(int(text), max_page_size)
