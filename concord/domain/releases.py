"""Joint public releases: a statement goes out only when every concerned nation approved its exact text.

A proposal holds a title and body in one or more of the centre's public languages and the items it
refers to; the others are "to be translated" by any concerned nation (an edit), and no nation approves
a text until it is written in every language, since a joint release is published in all of them.
Its content hash (SHA-256 over a canonical JSON form of exactly that content) is what a commander
approves: an approval names the hash it saw, so any edit, which changes the hash, voids
every earlier approval, and an approval sent for a text that has since changed is refused. The
last approval publishes the release.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from concord.domain import coordination_fields as f
from concord.domain.errors import Forbidden, Invalid, StateConflict
from concord.domain.markings import Level, Marking, Tlp

LANGUAGES = ("en", "tr", "ar")
ITEM_TYPES = ("incident", "rfi", "operation", "intel")


class ReleaseStatus(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class ReleaseText:
    title: str
    body: str


@dataclass(frozen=True, slots=True)
class ItemRef:
    item_type: str
    item_id: str


@dataclass(frozen=True, slots=True)
class ReleaseContent:
    texts: Mapping[str, ReleaseText]
    references: tuple[ItemRef, ...] = ()

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(canonical_bytes(self)).hexdigest()

    @property
    def title(self) -> str:
        """The title in the first public language the text is written in (en, tr, ar)."""
        return next(self.texts[lang].title for lang in LANGUAGES if lang in self.texts)

    @property
    def to_translate(self) -> tuple[str, ...]:
        """The public languages the text is not yet written in."""
        return tuple(lang for lang in LANGUAGES if lang not in self.texts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "texts": {lang: {"title": t.title, "body": t.body} for lang, t in sorted(self.texts.items())},
            "references": [{"type": r.item_type, "id": r.item_id} for r in self.references],
        }


def canonical_bytes(content: ReleaseContent) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8 as is: equal content, equal bytes."""
    return json.dumps(content.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class Approval:
    nation: str
    person_id: int | None
    at: datetime
    content_hash: str


@dataclass(frozen=True, slots=True)
class Release:
    id: int | None
    proposer: str
    person_id: int | None
    concerned: frozenset[str]
    content: ReleaseContent
    proposed_at: datetime
    updated_at: datetime
    approvals: Mapping[str, Approval] = field(default_factory=dict)
    status: ReleaseStatus = ReleaseStatus.AWAITING_APPROVAL
    published_at: datetime | None = None
    version: int = 1

    @property
    def content_hash(self) -> str:
        return self.content.content_hash

    @property
    def valid_approvals(self) -> Mapping[str, Approval]:
        """Approvals given for the text as it stands now."""
        current = self.content_hash
        return {n: a for n, a in self.approvals.items() if a.content_hash == current}

    @property
    def awaiting(self) -> frozenset[str]:
        return self.concerned - frozenset(self.valid_approvals)

    @property
    def marking(self) -> Marking:
        """Until published a proposal is internal to the concerned nations (its text is not yet agreed)."""
        if self.status is ReleaseStatus.PUBLISHED:
            return Marking.build(Level.UNCLASSIFIED, self.proposer, self.concerned, Tlp.CLEAR)
        return Marking.build(Level.RESTRICTED, self.proposer, self.concerned, Tlp.AMBER)


def parse_content(raw: Mapping[str, Any]) -> ReleaseContent:
    texts_raw = raw.get("texts")
    if not isinstance(texts_raw, Mapping):
        raise Invalid("texts must be an object with an en, tr or ar entry", field="texts")
    for lang in texts_raw:
        if lang not in LANGUAGES:
            raise Invalid(f"unknown language {lang!r}; expected {', '.join(LANGUAGES)}",
                          field=f"texts.{lang}")
    texts = {}
    for lang in LANGUAGES:
        entry = texts_raw.get(lang)
        if entry is None:
            continue  # to be translated
        if not isinstance(entry, Mapping):
            raise Invalid(f"the {lang} text is an object with a title and a body", field=f"texts.{lang}")
        texts[lang] = ReleaseText(
            f.text(entry.get("title"), f"texts.{lang}.title", max_length=200, single_line=True),
            f.text(entry.get("body"), f"texts.{lang}.body", max_length=20_000),
        )
    if not texts:
        raise Invalid("a proposal is written in at least one of en, tr and ar", field="texts")
    refs_raw = raw.get("references", [])
    if not isinstance(refs_raw, list) or len(refs_raw) > 100:
        raise Invalid("references must be a list of at most 100 {type, id} objects", field="references")
    refs: list[ItemRef] = []
    for i, ref in enumerate(refs_raw):
        if not isinstance(ref, Mapping) or ref.get("type") not in ITEM_TYPES:
            raise Invalid(f"a reference's type is one of {', '.join(ITEM_TYPES)}",
                          field=f"references[{i}].type")
        item_id = ref.get("id")
        if isinstance(item_id, bool) or not isinstance(item_id, int | str) or not str(item_id).strip():
            raise Invalid("a reference needs an id", field=f"references[{i}].id")
        item = ItemRef(ref["type"], str(item_id).strip())
        if item not in refs:
            refs.append(item)
    return ReleaseContent(texts, tuple(refs))


def propose(raw: Mapping[str, Any], proposer: str, person_id: int | None, now: datetime) -> Release:
    unknown = set(raw) - {"texts", "references", "concerned"}
    if unknown:
        name = sorted(unknown)[0]
        raise Invalid(f"unknown field {name!r}", field=name)
    concerned = f.nations(raw.get("concerned", ()), "concerned") | {proposer}
    if len(concerned) < 2:
        raise Invalid("a joint release concerns at least one nation besides the proposer", field="concerned")
    return Release(None, proposer, person_id, concerned, parse_content(raw), now, now)


def edit(release: Release, raw: Mapping[str, Any], nation: str, now: datetime) -> Release:
    """Any concerned nation may amend the text; every approval given so far is void afterwards."""
    _require_open(release)
    _require_concerned(release, nation, "edits")
    content = parse_content({"texts": raw.get("texts", release.content.to_dict()["texts"]),
                             "references": raw.get("references", release.content.to_dict()["references"])})
    if content == release.content:
        raise Invalid("the edit leaves the text as it was", field="texts")
    # Keep stale approvals for the record; `valid_approvals` ignores them because the hash moved.
    return replace(release, content=content, updated_at=now, version=release.version + 1)


def approve(release: Release, nation: str, person_id: int | None, content_hash: Any,
            now: datetime) -> Release:
    """A concerned nation's commander approves the exact text named by `content_hash`."""
    _require_open(release)
    _require_concerned(release, nation, "approves")
    if not isinstance(content_hash, str) or len(content_hash) != 64:
        raise Invalid("content_hash must be the 64-hex-digit SHA-256 of the text being approved",
                      field="content_hash")
    if content_hash != release.content_hash:
        raise StateConflict("the text changed since you read it: read it again and approve the new text",
                            field="content_hash", details={"current_hash": release.content_hash})
    missing = release.content.to_translate
    if missing:
        raise StateConflict(f"the text is still to be translated into {', '.join(missing)}: a joint release is "
                            "approved and published in every language", field=f"texts.{missing[0]}",
                            details={"to_translate": list(missing)})
    if nation in release.valid_approvals:
        raise StateConflict(f"{nation} has already approved this text", field="nation")
    approvals = {**release.approvals, nation: Approval(nation, person_id, now, content_hash)}
    approved = replace(release, approvals=approvals, updated_at=now, version=release.version + 1)
    if not approved.awaiting:
        return replace(approved, status=ReleaseStatus.PUBLISHED, published_at=now)
    return approved


def withdraw(release: Release, nation: str, now: datetime) -> Release:
    _require_open(release)
    _require_concerned(release, nation, "withdraws")
    return replace(release, status=ReleaseStatus.WITHDRAWN, updated_at=now, version=release.version + 1)


def _require_open(release: Release) -> None:
    if release.status is not ReleaseStatus.AWAITING_APPROVAL:
        raise StateConflict(f"the release is {release.status.value}", field="status")


def _require_concerned(release: Release, nation: str, verb: str) -> None:
    if nation not in release.concerned:
        raise Forbidden(f"only a nation concerned by this release {verb} it; {nation} is not concerned",
                        field="nation")
