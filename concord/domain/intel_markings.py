"""STIX data markings ⇄ Concord markings.

Two families of marking definitions decide who may see a STIX object in Concord:

* **TLP** — the TLP 2.0 marking definitions published by OASIS through the extension
  `extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d` (cti-stix-common-objects), and the
  four TLP 1.0 definitions predefined by STIX 2.1 §7.2.1.4 (TLP:WHITE is read as TLP:CLEAR).
* **Concord releasability** — classification level, releasable-to nations and caveats, carried by
  marking definitions that use Concord's own property extension (`CONCORD_EXTENSION_ID`). The
  extension definition is itself a STIX object (`concord_extension_definition()`), served with the
  markings, so any STIX tool can read what a Concord marking means.

Reading markings is conservative: several Concord markings all apply (highest level, the nations
common to every releasable-to list, every caveat), several TLP labels give the strictest, and a
reference Concord cannot resolve keeps the object inside its originator nation. With no
releasable-to marking, TLP:CLEAR and TLP:GREEN (shareable with the community) make an object
releasable to every partner nation; anything else stays with the originator until it is marked.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from concord.domain.errors import Invalid
from concord.domain.markings import Caveat, Level, Marking, Tlp, check_nation_code

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
TLP2_MARKING_IDS: dict[Tlp, str] = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
#: The TLP 1.0 marking definitions of STIX 2.1 (Part 1 §7.2.1.4), the ids the `stix2` library's
#: TLP_WHITE … TLP_RED carry (a unit test holds them equal); written out so that reading a marking
#: does not import the library, which costs every starting server most of a second.
TLP1_MARKING_IDS: dict[str, Tlp] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Tlp.CLEAR,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Tlp.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Tlp.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Tlp.RED,
}
_TLP_BY_ID: dict[str, Tlp] = {**{v: k for k, v in TLP2_MARKING_IDS.items()}, **TLP1_MARKING_IDS}
_TLP_ORDER = [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED]
_TLP_BY_WORD = {
    "clear": Tlp.CLEAR,
    "white": Tlp.CLEAR,
    "green": Tlp.GREEN,
    "amber": Tlp.AMBER,
    "amber+strict": Tlp.AMBER_STRICT,
    "red": Tlp.RED,
}

CONCORD_IDENTITY_ID = "identity--92d1ef2a-47e5-4cef-9cfc-ed774f68ea9c"
CONCORD_EXTENSION_ID = "extension-definition--aaf6df32-4156-4d1b-b4b4-11b4786cb219"
_CONCORD_NAMESPACE = uuid.UUID("a49894cd-43fd-4cf0-b9e6-5d45b8a431e3")
_CONCORD_CREATED = "2026-01-01T00:00:00.000Z"

#: JSON Schema of the Concord releasability property extension (the extension definition's `schema`).
CONCORD_EXTENSION_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Concord releasability marking",
    "description": (
        "Carried by a marking-definition under extensions[" + CONCORD_EXTENSION_ID + "]. An object "
        "with this marking may be seen by people of the originator nation and of the nations in "
        "releasable_to whose clearance is at least classification. ORCON: only the originator may "
        "widen release. Several such markings on one object all apply."
    ),
    "type": "object",
    "required": ["extension_type", "classification", "releasable_to"],
    "properties": {
        "extension_type": {"const": "property-extension"},
        "classification": {"enum": [level.name for level in Level]},
        "releasable_to": {
            "type": "array",
            "items": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 3166-1 alpha-3"},
            "uniqueItems": True,
        },
        "caveats": {"type": "array", "items": {"enum": [c.value for c in Caveat]}, "uniqueItems": True},
    },
    "additionalProperties": False,
}


def concord_identity() -> dict[str, Any]:
    """The identity that creates Concord's extension and marking definitions."""
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": CONCORD_IDENTITY_ID,
        "created": _CONCORD_CREATED,
        "modified": _CONCORD_CREATED,
        "name": "Concord joint coordination centre",
        "identity_class": "system",
    }


def concord_extension_definition() -> dict[str, Any]:
    """The STIX extension definition (§7.3) of Concord's releasability marking."""
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": CONCORD_EXTENSION_ID,
        "created_by_ref": CONCORD_IDENTITY_ID,
        "created": _CONCORD_CREATED,
        "modified": _CONCORD_CREATED,
        "name": "Concord releasability marking",
        "description": CONCORD_EXTENSION_SCHEMA["description"],
        "schema": json.dumps(CONCORD_EXTENSION_SCHEMA, sort_keys=True),
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    }


def tlp_marking_definition(tlp: Tlp) -> dict[str, Any]:
    """The TLP 2.0 marking definition object, as OASIS publishes it."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_MARKING_IDS[tlp],
        "created": TLP2_CREATED,
        "name": f"TLP:{tlp.value}",
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": tlp.value.lower()},
        },
    }


def releasability_marking_definition(
    level: Level, releasable_to: Iterable[str], caveats: Iterable[Caveat] = ()
) -> dict[str, Any]:
    """A Concord marking definition; the same content always gets the same id."""
    nations = sorted(set(releasable_to))
    for nation in nations:
        check_nation_code(nation)
    cav = sorted({Caveat(c).value for c in caveats})
    key = f"{level.name}|{','.join(nations)}|{','.join(cav)}"
    name = f"{level.name}//REL TO {', '.join(nations)}" + "".join(f"//{c}" for c in cav)
    ext: dict[str, Any] = {
        "extension_type": "property-extension",
        "classification": level.name,
        "releasable_to": nations,
    }
    if cav:
        ext["caveats"] = cav
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": f"marking-definition--{uuid.uuid5(_CONCORD_NAMESPACE, key)}",
        "created_by_ref": CONCORD_IDENTITY_ID,
        "created": _CONCORD_CREATED,
        "name": name,
        "extensions": {CONCORD_EXTENSION_ID: ext},
    }


def to_stix(marking: Marking) -> tuple[list[str], list[dict[str, Any]]]:
    """`object_marking_refs` for a Concord marking and the marking definitions they reference."""
    definitions = [
        tlp_marking_definition(marking.tlp),
        releasability_marking_definition(
            marking.level, marking.releasable_to | {marking.originator}, marking.caveats
        ),
    ]
    return [d["id"] for d in definitions], definitions


def tlp_of(definition: Mapping[str, Any]) -> Tlp | None:
    """The TLP label a marking definition object states (TLP 2.0 extension or TLP 1.0 form)."""
    extensions = definition.get("extensions")
    if isinstance(extensions, Mapping):
        tlp2 = extensions.get(TLP2_EXTENSION_ID)
        if isinstance(tlp2, Mapping) and isinstance(tlp2.get("tlp_2_0"), str):
            return _TLP_BY_WORD.get(tlp2["tlp_2_0"].lower())
    if definition.get("definition_type") == "tlp":
        body = definition.get("definition")
        if isinstance(body, Mapping) and isinstance(body.get("tlp"), str):
            return _TLP_BY_WORD.get(body["tlp"].lower())
    return None


def releasability_of(definition: Mapping[str, Any]) -> tuple[Level, frozenset[str], frozenset[Caveat]] | None:
    """Level, releasable-to and caveats of a Concord marking definition; None for other markings.

    Raises `Invalid` when the definition uses Concord's extension with content that is not valid.
    """
    extensions = definition.get("extensions")
    ext = extensions.get(CONCORD_EXTENSION_ID) if isinstance(extensions, Mapping) else None
    if ext is None:
        return None
    field = f"extensions.{CONCORD_EXTENSION_ID}"
    if not isinstance(ext, Mapping) or ext.get("extension_type") != "property-extension":
        raise Invalid("the Concord marking extension must be a property-extension", field=field)
    unknown = set(ext) - set(CONCORD_EXTENSION_SCHEMA["properties"])
    if unknown:
        raise Invalid(f"unknown properties in the Concord marking: {', '.join(sorted(unknown))}", field=field)
    try:
        level = Level[ext["classification"]]
    except (KeyError, TypeError) as exc:
        names = ", ".join(level.name for level in Level)
        raise Invalid(f"classification must be one of {names}", field=f"{field}.classification") from exc
    nations = ext.get("releasable_to")
    if not isinstance(nations, list) or not all(isinstance(n, str) for n in nations):
        raise Invalid("releasable_to must be a list of nation codes", field=f"{field}.releasable_to")
    try:
        rel = frozenset(check_nation_code(n) for n in nations)
        caveats = frozenset(Caveat(c) for c in ext.get("caveats", []))
    except (ValueError, TypeError) as exc:
        raise Invalid(str(exc), field=field) from exc
    return level, rel, caveats


def from_stix(
    refs: Iterable[str],
    originator: str,
    partners: Collection[str],
    definitions: Mapping[str, Mapping[str, Any]],
) -> Marking:
    """The Concord marking of an object from its marking refs (see the module docstring).

    `definitions` maps marking-definition ids to the definition objects known so far (those stored
    and those in the same envelope); the TLP definitions are known without it.
    """
    tlps: list[Tlp] = []
    levels: list[Level] = []
    audiences: list[frozenset[str]] = []
    caveats: set[Caveat] = set()
    unresolved = False
    for ref in refs:
        if ref in _TLP_BY_ID:
            tlps.append(_TLP_BY_ID[ref])
            continue
        definition = definitions.get(ref)
        if definition is None:
            unresolved = True
            continue
        tlp = tlp_of(definition)
        if tlp is not None:
            tlps.append(tlp)
        concord = releasability_of(definition)
        if concord is not None:
            levels.append(concord[0])
            audiences.append(concord[1])
            caveats |= concord[2]
    tlp = max(tlps, key=_TLP_ORDER.index) if tlps else None
    if unresolved:
        releasable: frozenset[str] = frozenset()
    elif audiences:
        releasable = frozenset.intersection(*audiences)
    elif tlp in (Tlp.CLEAR, Tlp.GREEN):
        releasable = frozenset(partners)
    else:
        releasable = frozenset()
    return Marking.build(
        level=max(levels, default=Level.UNCLASSIFIED),
        originator=originator,
        releasable_to=releasable,
        tlp=tlp or Tlp.AMBER,
        caveats=caveats,
    )


def unresolved_refs(refs: Iterable[str], definitions: Mapping[str, Any]) -> list[str]:
    """Marking refs that are neither TLP nor among `definitions` (they keep an object originator-only)."""
    return [ref for ref in refs if ref not in _TLP_BY_ID and ref not in definitions]


def builtin_definitions() -> dict[str, dict[str, Any]]:
    """The marking-related objects every Concord server knows and serves: TLP 2.0 and Concord's own."""
    objects = [tlp_marking_definition(t) for t in _TLP_ORDER]
    objects += [concord_identity(), concord_extension_definition()]
    return {o["id"]: o for o in objects}
