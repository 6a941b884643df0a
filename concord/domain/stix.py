"""STIX 2.1 objects on the way in: validation, identity and version, kept exactly as sent.

Every object is checked with the OASIS `stix2` library (STIX 2.1 Part 1 §§3-7, Part 4-6 object
definitions). Custom *properties* are allowed (§11.1: deprecated but valid), custom *object types*
only when the object declares an extension definition of type `new-sdo`, `new-sco` or `new-sro`
(§7.3): the old `x-` style custom objects without one are rejected, as the issue requires.

The object is kept as the JSON text the sender wrote (`StixObject.raw`); what Concord derives from it
(id, version, markings, observables) is read from the parsed value, never written back into it.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from concord.domain import json_limits, stix_schema
from concord.domain.errors import Invalid
from concord.domain.stix_patterns import PatternError, compile_pattern

SPEC_VERSION = "2.1"

# §2.7 identifier: <object-type>--<RFC 4122 UUID>; §3.1 type names: 3-250 chars of [a-z0-9-].
_TYPE_NAME = re.compile(r"^[a-z][a-z0-9-]{1,248}[a-z0-9]$")
_IDENTIFIER = re.compile(
    r"^(?P<type>[a-z][a-z0-9-]{1,248}[a-z0-9])--"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)
# §3.2 timestamps: RFC 3339, UTC, upper-case T and Z, optional fraction of any precision.
_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$")



@functools.cache
def _known() -> tuple[frozenset[str], frozenset[str]]:
    """The STIX 2.1 object and observable types the OASIS library defines. The library (with its
    pattern grammar and TAXII client) is imported on first use, not when a server starts: it is
    most of a second of every start, and many processes never check an object."""
    from stix2 import registry, v21  # noqa: F401  (importing v21 registers the 2.1 types)

    maps = registry.STIX2_OBJ_MAPS[SPEC_VERSION]
    return frozenset(maps["objects"]), frozenset(maps["observables"])

_NEW_OBJECT_EXTENSIONS = {"new-sdo": "sdo", "new-sco": "sco", "new-sro": "sro"}


class Category(StrEnum):
    """What kind of STIX object this is (STIX 2.1 §1.4 and §7)."""

    SDO = "sdo"
    SCO = "sco"
    SRO = "sro"
    MARKING_DEFINITION = "marking-definition"
    LANGUAGE_CONTENT = "language-content"
    EXTENSION_DEFINITION = "extension-definition"


_META = {
    "marking-definition": Category.MARKING_DEFINITION,
    "language-content": Category.LANGUAGE_CONTENT,
    "extension-definition": Category.EXTENSION_DEFINITION,
}
_SROS = frozenset({"relationship", "sighting"})
# Categories whose objects must carry `modified` (STIX 2.1 §3.2, §7.1, §7.3).
_VERSIONED = frozenset({Category.SDO, Category.SRO, Category.LANGUAGE_CONTENT, Category.EXTENSION_DEFINITION})


@dataclass(frozen=True, slots=True)
class StixObject:
    """A validated STIX 2.1 object with what Concord reads from it."""

    id: str
    type: str
    category: Category
    spec_version: str
    #: `modified`, else `created` (TAXII 2.1 §3.6 "version"); None for objects without either
    #: (most SCOs), whose version is the date they were added.
    version: str | None
    created: str | None
    modified: str | None
    revoked: bool
    created_by_ref: str | None
    #: object_marking_refs followed by the refs of any granular markings (conservatively treated as
    #: applying to the whole object, because the object is served whole, never redacted).
    marking_refs: tuple[str, ...]
    data: Mapping[str, Any]
    raw: str
    #: The version as a fixed-width, lexically sortable timestamp (see `timestamp_key`).
    version_key: str | None


@dataclass(frozen=True, slots=True)
class RawItem:
    """One element of an envelope's or bundle's `objects`: its exact text and its JSON value."""

    text: str
    value: Any


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one object of an envelope was refused (for the TAXII status resource's failures)."""

    id: str | None
    version: str | None
    message: str
    field: str | None = None  # the object's property at fault, when one is (a form names it)


def timestamp_key(text: str) -> str:
    """A STIX timestamp as `YYYY-MM-DDTHH:MM:SS.fffffffffZ`.

    STIX allows any sub-second precision, so `...00Z` and `...00.000Z` are the same instant; the
    fixed width (nanoseconds, the finest precision STIX timestamps use in practice) makes the same
    instant one string and keeps string order equal to time order, on every database.
    """
    match = _TIMESTAMP.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z, in UTC)")
    return _key(match)


def _key(match: re.Match[str]) -> str:
    whole, fraction = match.groups()
    return f"{whole}.{(fraction or '').ljust(9, '0')}Z"


def split_objects(text: str | bytes, container: str = "objects") -> tuple[dict[str, Any], list[RawItem]]:
    """Parse a TAXII envelope or STIX bundle and return its other members and its objects' exact text.

    Uses the standard library's JSON decoder on the text itself, so each object's text is a slice
    of what was sent (whitespace and key order included) rather than a re-serialisation.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Invalid("the body is not UTF-8 text", field="body") from exc
    decoder = json.JSONDecoder()
    members: dict[str, Any] = {}
    items: list[RawItem] = []
    try:
        pos = _skip_ws(text, 0)
        _expect(text, pos, "{")
        pos = _skip_ws(text, pos + 1)
        if text.startswith("}", pos):
            pos += 1
        else:
            while True:
                key, pos = decoder.raw_decode(text, pos)
                if not isinstance(key, str):
                    raise ValueError("member names are strings")
                pos = _skip_ws(text, pos)
                _expect(text, pos, ":")
                pos = _skip_ws(text, pos + 1)
                if key == container and text.startswith("[", pos):
                    pos = _read_array(decoder, text, pos, items)
                    members[key] = None
                else:
                    members[key], pos = decoder.raw_decode(text, pos)
                pos = _skip_ws(text, pos)
                if text.startswith(",", pos):
                    pos = _skip_ws(text, pos + 1)
                    continue
                _expect(text, pos, "}")
                pos += 1
                break
        if _skip_ws(text, pos) != len(text):
            raise ValueError("unexpected text after the JSON object")
    except RecursionError:
        raise Invalid(f"the body is nested deeper than {json_limits.MAX_DEPTH} levels", field="body") from None
    except ValueError as exc:
        raise Invalid(f"the body is not a JSON object: {exc}", field="body") from exc
    for index, item in enumerate(items):
        if json_limits.may_break_limits(item.text):
            json_limits.check(item.value, f"{container}.{index}")
    json_limits.check(members, "")
    if container in members and members[container] is not None:
        raise Invalid(f"'{container}' must be a list of STIX objects", field=container)
    members.pop(container, None)
    return members, items


def _read_array(decoder: json.JSONDecoder, text: str, pos: int, out: list[RawItem]) -> int:
    pos = _skip_ws(text, pos + 1)
    if text.startswith("]", pos):
        return pos + 1
    while True:
        start = pos
        value, pos = decoder.raw_decode(text, pos)
        out.append(RawItem(text[start:pos], value))
        pos = _skip_ws(text, pos)
        if text.startswith(",", pos):
            pos = _skip_ws(text, pos + 1)
            continue
        _expect(text, pos, "]")
        return pos + 1


_WS = re.compile(r"[ \t\n\r]*")
_WS_CHARS = frozenset(" \t\n\r")


def _skip_ws(text: str, pos: int) -> int:
    if pos >= len(text) or text[pos] not in _WS_CHARS:
        return pos  # the common case (no whitespace here) without a regular expression
    if pos + 1 >= len(text) or text[pos + 1] not in _WS_CHARS:
        return pos + 1  # one space, as json.dumps writes after ',' and ':'
    match = _WS.match(text, pos)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _expect(text: str, pos: int, char: str) -> None:
    if not text.startswith(char, pos):
        raise ValueError(f"expected {char!r} at character {pos}")


def parse_object(item: RawItem | Mapping[str, Any]) -> StixObject:
    """Validate one STIX 2.1 object; raise `Invalid` naming the property that is wrong."""
    if isinstance(item, RawItem):
        value, raw = item.value, item.text
    else:
        value, raw = item, json.dumps(item, ensure_ascii=False, separators=(",", ":"))
    if not isinstance(value, Mapping):
        raise Invalid("a STIX object must be a JSON object", field="object")
    obj_type = value.get("type")
    if not isinstance(obj_type, str) or not _TYPE_NAME.match(obj_type):
        raise Invalid("'type' must be a STIX type name (3-250 characters of a-z, 0-9 and '-')", field="type")
    if obj_type == "bundle":
        raise Invalid("a bundle cannot be stored as an object; send its objects instead", field="type")
    obj_id = value.get("id")
    if not isinstance(obj_id, str):
        raise Invalid("'id' is required", field="id")
    id_match = _IDENTIFIER.match(obj_id)
    if id_match is None or id_match["type"] != obj_type:
        raise Invalid(f"'id' must be '{obj_type}--' followed by an RFC 4122 UUID", field="id")
    spec_version = value.get("spec_version", SPEC_VERSION if obj_type in _known()[1] else None)
    if spec_version != SPEC_VERSION:
        raise Invalid("'spec_version' must be \"2.1\" (only STIX 2.1 is accepted)", field="spec_version")

    category = _category(value, obj_type)
    # The library fills in created, modified and valid_from when they are missing (it is also an
    # object builder), so the required ones are checked here (§3.2, §4.7).
    created, created_key = _timestamp(value, "created", required=category is not Category.SCO)
    modified, modified_key = _timestamp(value, "modified", required=category in _VERSIONED)
    if obj_type == "indicator":
        _timestamp(value, "valid_from", required=True)
    confidence = value.get("confidence")
    if confidence is not None and (
        not isinstance(confidence, int) or isinstance(confidence, bool) or not 0 <= confidence <= 100
    ):
        raise Invalid("'confidence' must be a whole number from 0 to 100", field="confidence")
    if created_key is not None and modified_key is not None and modified_key < created_key:
        raise Invalid("'modified' must not be earlier than 'created'", field="modified")
    if obj_type == "indicator" and value.get("pattern_type") == "stix":
        _check_stix_pattern(value)
    if (obj_type in _known()[0] or obj_type in _known()[1]) and not stix_schema.accepts(value):
        _check_with_stix2(value)
    revoked = value.get("revoked", False)
    if not isinstance(revoked, bool):
        raise Invalid("'revoked' must be true or false", field="revoked")
    created_by = value.get("created_by_ref")
    if created_by is not None and (
        not isinstance(created_by, str) or not created_by.startswith("identity--")
    ):
        raise Invalid("'created_by_ref' must reference an identity", field="created_by_ref")
    return StixObject(
        id=obj_id,
        type=obj_type,
        category=category,
        spec_version=SPEC_VERSION,
        version=modified if modified is not None else created,
        created=created,
        modified=modified,
        revoked=revoked,
        created_by_ref=created_by,
        marking_refs=_marking_refs(value),
        data=value,
        raw=raw,
        version_key=modified_key if modified_key is not None else created_key,
    )


def reject(item: RawItem | Mapping[str, Any], error: Invalid) -> Rejection:
    """A status-resource failure for an object, quoting its id and version when it has them."""
    value = item.value if isinstance(item, RawItem) else item
    obj_id = value.get("id") if isinstance(value, Mapping) else None
    version = None
    if isinstance(value, Mapping):
        version = value.get("modified") or value.get("created")
    field = error.details.get("field")
    message = (
        f"{field}: {error.message}" if field and not error.message.startswith(f"'{field}'") else error.message
    )
    return Rejection(
        obj_id if isinstance(obj_id, str) else None,
        version if isinstance(version, str) else None,
        message,
        field if isinstance(field, str) else None,
    )


def parse_many(items: list[RawItem]) -> Iterator[StixObject | Rejection]:
    """Validate each item on its own: one bad object never stops the others."""
    for item in items:
        try:
            yield parse_object(item)
        except Invalid as error:
            yield reject(item, error)


def _category(value: Mapping[str, Any], obj_type: str) -> Category:
    if obj_type in _META:
        return _META[obj_type]
    if obj_type in _SROS:
        return Category.SRO
    if obj_type in _known()[1]:
        return Category.SCO
    if obj_type in _known()[0]:
        return Category.SDO
    # An unknown type is acceptable only as a new object type defined by an extension (§7.3).
    extensions = value.get("extensions")
    if isinstance(extensions, Mapping):
        for key, ext in extensions.items():
            if key.startswith("extension-definition--") and isinstance(ext, Mapping):
                kind = _NEW_OBJECT_EXTENSIONS.get(str(ext.get("extension_type")))
                if kind is not None:
                    if not _IDENTIFIER.match(key):
                        raise Invalid(f"extension key {key!r} is not an identifier", field="extensions")
                    return Category(kind)
    raise Invalid(
        f"unknown object type {obj_type!r}: a custom object type needs an extension definition "
        "with extension_type new-sdo, new-sco or new-sro",
        field="type",
    )


def _timestamp(value: Mapping[str, Any], name: str, *, required: bool) -> tuple[str | None, str | None]:
    """The property's text and its `timestamp_key` (both None when it is absent and optional)."""
    text = value.get(name)
    if text is None:
        if required:
            raise Invalid(f"'{name}' is required", field=name)
        return None, None
    match = _TIMESTAMP.match(text) if isinstance(text, str) else None
    if match is None:
        raise Invalid(f"'{name}' must be a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)", field=name)
    return text, _key(match)


def _check_stix_pattern(value: Mapping[str, Any]) -> None:
    pattern = value.get("pattern")
    if not isinstance(pattern, str):
        raise Invalid("'pattern' is required", field="pattern")
    try:
        compile_pattern(pattern)
    except PatternError as exc:
        raise Invalid(f"'pattern' is not a valid STIX pattern: {exc}", field="pattern") from exc


def _check_with_stix2(value: Mapping[str, Any]) -> None:
    """The full property check of the OASIS library.

    The STIX pattern of an indicator was already checked by `compile_pattern` (which also serves
    observable extraction), so the library is handed the object under another pattern type to
    spare a second grammar parse; every other property is checked as sent.
    """
    data = dict(value)
    if data.get("type") == "indicator" and data.get("pattern_type") == "stix":
        data["pattern_type"] = "stix-checked"
        data.setdefault("pattern_version", SPEC_VERSION)
    import stix2
    from stix2.exceptions import STIXError

    try:
        stix2.parse(data, allow_custom=True, version=SPEC_VERSION)
    except (STIXError, ValueError, TypeError, KeyError) as exc:
        raise Invalid(_stix2_message(exc), field=_stix2_field(exc)) from exc


def _stix2_message(exc: Exception) -> str:
    text = str(exc).replace("stix-checked", "stix")
    return text if len(text) <= 300 else text[:297] + "..."


def _stix2_field(exc: Exception) -> str | None:
    prop = getattr(exc, "prop_name", None)
    if isinstance(prop, str):
        return prop
    props = getattr(exc, "properties", None)
    if isinstance(props, (list, tuple)) and props:
        return str(props[0])
    return None


def _marking_refs(value: Mapping[str, Any]) -> tuple[str, ...]:
    refs: list[str] = []
    object_refs = value.get("object_marking_refs", [])
    if not isinstance(object_refs, list) or not all(isinstance(r, str) for r in object_refs):
        raise Invalid(
            "'object_marking_refs' must be a list of marking-definition ids", field="object_marking_refs"
        )
    refs.extend(object_refs)
    granular = value.get("granular_markings", [])
    if not isinstance(granular, list):
        raise Invalid("'granular_markings' must be a list", field="granular_markings")
    for entry in granular:
        ref = entry.get("marking_ref") if isinstance(entry, Mapping) else None
        if isinstance(ref, str):
            refs.append(ref)
    for ref in refs:
        match = _IDENTIFIER.match(ref)
        if match is None or match["type"] != "marking-definition":
            raise Invalid(f"{ref!r} is not a marking-definition id", field="object_marking_refs")
    return tuple(dict.fromkeys(refs))


def bundle_chunks(texts: Iterable[str]) -> Iterator[str]:
    """A STIX bundle (§8) written piece by piece around objects' exact text (for streaming exports)."""
    yield '{"type":"bundle","id":"bundle--' + str(uuid.uuid4()) + '","objects":['
    first = True
    for text in texts:
        yield text if first else "," + text
        first = False
    yield "]}"
