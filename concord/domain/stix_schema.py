"""A strict schema check for the most common STIX objects, so ingest need not build a library object.

Building an object with the OASIS `stix2` library costs about 200 µs, most of it generic property
machinery; feeds are mostly indicators and simple SCOs with a handful of plain properties. For
those, `accepts` checks each property against STIX 2.1 (Part 4-6 property tables) strictly —
plain JSON types, real timestamps, identifiers with RFC 4122 UUIDs — and answers True only when
every property is one it knows and every value is plainly valid. Anything else (a custom property,
an external reference, an odd but perhaps valid value) answers False and the library decides.

So this check can only ever accept a subset of what the library accepts; a property test
(tests/unit/domain/test_stix_schema.py) compares the two on generated objects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$")
_IDENTITY_REF = re.compile(rf"^identity--{_UUID}$")
_MARKING_REF = re.compile(rf"^marking-definition--{_UUID}$")


def _string(value: Any) -> bool:
    return isinstance(value, str)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _boolean(value: Any) -> bool:
    return isinstance(value, bool)


def _timestamp(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    return _real_timestamp(value)


@lru_cache(maxsize=8192)  # created, modified and valid_from are often one instant, and feeds repeat them
def _real_timestamp(value: str) -> bool:
    if not _TIMESTAMP.match(value):
        return False
    try:
        datetime.fromisoformat(value[:-1])
    except ValueError:
        return False
    return True


def _confidence(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100


def _identity_ref(value: Any) -> bool:
    return isinstance(value, str) and _IDENTITY_REF.match(value) is not None


def _marking_refs(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, str) and _MARKING_REF.match(v) is not None for v in value)
    )


def _spec_version(value: Any) -> bool:
    return isinstance(value, str) and value == "2.1"


def _known(value: Any) -> bool:
    return True  # checked before this module is consulted (type, id)


Check = Callable[[Any], bool]

_COMMON_SDO: dict[str, Check] = {
    "type": _known,
    "id": _known,
    "spec_version": _spec_version,
    "created": _timestamp,
    "modified": _timestamp,
    "created_by_ref": _identity_ref,
    "revoked": _boolean,
    "labels": _strings,
    "confidence": _confidence,
    "lang": _string,
    "object_marking_refs": _marking_refs,
}
_INDICATOR: dict[str, Check] = {
    **_COMMON_SDO,
    "name": _string,
    "description": _string,
    "indicator_types": _strings,
    "pattern": _string,
    "pattern_type": _string,
    "pattern_version": _string,
    "valid_from": _timestamp,
}
_INDICATOR_REQUIRED = ("spec_version", "created", "modified", "pattern", "pattern_type", "valid_from")
_SIMPLE_SCO: dict[str, Check] = {
    "type": _known,
    "id": _known,
    "spec_version": _spec_version,
    "value": _string,
    "defanged": _boolean,
    "object_marking_refs": _marking_refs,
}
_SCHEMAS: dict[str, tuple[dict[str, Check], tuple[str, ...]]] = {
    "indicator": (_INDICATOR, _INDICATOR_REQUIRED),
    "ipv4-addr": (_SIMPLE_SCO, ("value",)),
    "ipv6-addr": (_SIMPLE_SCO, ("value",)),
    "domain-name": (_SIMPLE_SCO, ("value",)),
    "url": (_SIMPLE_SCO, ("value",)),
    "email-addr": ({**_SIMPLE_SCO, "display_name": _string}, ("value",)),
}


def accepts(value: Mapping[str, Any]) -> bool:
    """True if the object is certainly valid STIX 2.1; False means "ask the library", not "invalid"."""
    schema = _SCHEMAS.get(value.get("type"))  # type: ignore[arg-type]
    if schema is None:
        return False
    checks, required = schema
    for name in required:
        if name not in value:
            return False
    for name, item in value.items():
        check = checks.get(name)
        if check is None or not check(item):
            return False
    return True
