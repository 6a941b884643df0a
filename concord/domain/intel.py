"""Intelligence sharing rules: collections, who may write them, what an object is called and searched by.

Collections (TAXII 2.1 §5.1) are views, not containers: each partner nation's feed holds the objects
that nation originated, and the joint feed holds every object; in each, a reader sees only what
the releasability policy lets them see. Writing to a nation's feed, or to the joint feed, stores
objects with the writer's nation as originator, so a nation can only ever publish as itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from concord.domain.errors import Forbidden, NotFound
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.ownership import Kind, require_owner
from concord.domain.people import Actor, Role

JOINT = "joint"
_COLLECTIONS = uuid.UUID("5b0f3c8e-2f51-4a43-9d1e-6a1c9f0e7b21")
#: Roles that may publish intelligence; observers and administrators only read.
PUBLISHERS = (Role.ANALYST, Role.LIAISON_OFFICER, Role.COMMANDER, Role.WATCH_OFFICER)
#: Properties whose text is searched, in the order they make a title.
_TITLE_PROPERTIES = ("name", "value", "pattern", "abstract", "content", "opinion", "relationship_type")
_SEARCH_PROPERTIES = (
    "name",
    "description",
    "value",
    "pattern",
    "abstract",
    "content",
    "explanation",
    "opinion",
    "aliases",
    "labels",
    "indicator_types",
    "malware_types",
    "threat_actor_types",
    "report_types",
    "roles",
    "goals",
    "relationship_type",
    "x_mitre_id",
    "country",
    "city",
    "region",
    "sectors",
)
_SEARCH_SET = frozenset(_SEARCH_PROPERTIES)
_SEARCH_ORDER = {name: i for i, name in enumerate(_SEARCH_PROPERTIES)}
MEDIA_TYPE_STIX = "application/stix+json;version=2.1"


@dataclass(frozen=True, slots=True)
class Collection:
    id: str
    key: str  # a nation code or JOINT
    title: str
    description: str

    @property
    def originator(self) -> str | None:
        """The nation whose objects this feed holds (None for the joint feed)."""
        return None if self.key == JOINT else self.key


def collection_id(key: str) -> str:
    return str(uuid.uuid5(_COLLECTIONS, key))


def collections(nations: Mapping[str, str]) -> list[Collection]:
    """The joint feed, then one feed per partner nation (code → name)."""
    out = [
        Collection(
            collection_id(JOINT),
            JOINT,
            "Joint feed",
            "Every object of every partner nation, as releasable to the reader.",
        )
    ]
    for code, name in sorted(nations.items()):
        out.append(
            Collection(
                collection_id(code),
                code,
                f"{name} ({code}) feed",
                f"Objects published by {name}, as releasable to the reader.",
            )
        )
    return out


def find_collection(nations: Mapping[str, str], wanted: str) -> Collection:
    for found in collections(nations):
        if found.id == wanted:
            return found
    raise NotFound(f"no collection {wanted!r}", field="collection")


def may_read(actor: Actor, _collection: Collection) -> bool:
    return actor.reader.may_read


def may_write(actor: Actor, collection: Collection) -> bool:
    return bool(actor.roles.intersection(PUBLISHERS)) and collection.key in (JOINT, actor.nation)


def require_write(actor: Actor, collection: Collection) -> None:
    if not actor.roles.intersection(PUBLISHERS):
        actor.require(*PUBLISHERS, action="publishing intelligence")
    if collection.key not in (JOINT, actor.nation):
        raise Forbidden("a nation publishes only to its own feed or the joint feed", field="collection")


def require_originator(actor: Actor, marking: Marking, action: str) -> None:
    """Revoking, deleting and changing release are for the originator nation's publishers only
    (the ownership rule, `concord.domain.ownership`)."""
    require_owner(actor, marking.originator, Kind.INTEL_OBJECT, action=action)


def title_of(data: Mapping[str, Any]) -> str:
    for name in _TITLE_PROPERTIES:
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()[:300]
    return f"{data.get('type', 'object')} {data.get('id', '')}".strip()


def search_text_of(data: Mapping[str, Any]) -> str:
    parts: list[str] = []
    # Only the properties the object has, in _SEARCH_PROPERTIES order (objects hold few of them).
    for name in sorted(_SEARCH_SET.intersection(data), key=_SEARCH_ORDER.__getitem__):
        value = data[name]
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            parts.extend(v for v in value if isinstance(v, str))
    for ref in data.get("external_references", []) or []:
        if isinstance(ref, Mapping):
            parts.extend(str(ref[k]) for k in ("source_name", "external_id") if isinstance(ref.get(k), str))
    return "\n".join(parts)[:20000]


def linked_refs(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(source, target) of a relationship or sighting, for listing an object's relationships."""
    if data.get("type") == "relationship":
        return _ref(data.get("source_ref")), _ref(data.get("target_ref"))
    if data.get("type") == "sighting":
        return _ref(data.get("sighting_of_ref")), None
    return None, None


def _ref(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def shared_marking(a: Marking, b: Marking) -> Marking | None:
    """A marking visible exactly to those who may see both `a` and `b` (None if nobody may).

    `can_see(r, shared)` ⇔ `can_see(r, a) and can_see(r, b)`: the level is the higher of the two and
    the audience the nations in both audiences, one of which stands as originator (so the originator
    rule admits nobody outside the common audience).
    """
    common = a.audience & b.audience
    if not common:
        return None
    level = Level(max(a.level, b.level))
    return Marking.build(level, min(common), common, Tlp.GREEN if len(common) > 1 else Tlp.AMBER)
