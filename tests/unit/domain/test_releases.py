from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from concord.domain import releases as rel
from concord.domain.errors import Forbidden, Invalid, StateConflict
from concord.domain.markings import Level
from concord.domain.releases import ReleaseStatus

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def raw_release(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "concerned": ["IRQ"],
        "texts": {
            "en": {"title": "Joint statement on the border post 14 incident",
                   "body": "Both sides are investigating the incident of 28 November together."},
            "tr": {"title": "14 numaralı sınır karakolu olayına ilişkin ortak açıklama",
                   "body": "Taraflar 28 Kasım olayını birlikte soruşturmaktadır."},
            "ar": {"title": "بيان مشترك بشأن حادث المخفر الحدودي 14",
                   "body": "يحقق الطرفان معا في حادث 28 تشرين الثاني."},
        },
        "references": [{"type": "incident", "id": 12}],
    }
    raw.update(changes)
    return raw


def proposed(**changes: Any) -> rel.Release:
    return rel.propose(raw_release(**changes), "TUR", 1, NOW)


def test_the_proposer_is_concerned_and_the_hash_is_stable() -> None:
    release = proposed()
    assert release.concerned == {"TUR", "IRQ"}
    assert release.content_hash == proposed().content_hash
    assert len(release.content_hash) == 64
    assert release.marking.level is Level.RESTRICTED and release.marking.audience == {"TUR", "IRQ"}


@pytest.mark.parametrize(("changes", "field"), [
    ({"concerned": []}, "concerned"),
    ({"concerned": ["TUR"]}, "concerned"),
    ({"texts": {}}, "texts"),
    ({"texts": {"en": "just a title"}}, "texts.en"),
    ({"texts": {**raw_release()["texts"], "fr": {"title": "t", "body": "b"}}}, "texts.fr"),
    ({"texts": {**raw_release()["texts"], "ar": {"title": "", "body": "b"}}}, "texts.ar.title"),
    ({"references": [{"type": "tweet", "id": 1}]}, "references[0].type"),
    ({"references": [{"type": "incident"}]}, "references[0].id"),
    ({"publish_now": True}, "publish_now"),
])
def test_bad_proposals_name_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as err:
        proposed(**changes)
    assert err.value.field == field


def test_published_only_when_every_concerned_nation_approved_the_exact_text() -> None:
    release = proposed(concerned=["IRQ", "SYR"])
    h = release.content_hash
    release = rel.approve(release, "TUR", 1, h, NOW)
    release = rel.approve(release, "IRQ", 7, h, NOW)
    assert release.status is ReleaseStatus.AWAITING_APPROVAL and release.awaiting == {"SYR"}
    release = rel.approve(release, "SYR", 9, h, NOW + timedelta(minutes=1))
    assert release.status is ReleaseStatus.PUBLISHED
    assert release.published_at == NOW + timedelta(minutes=1)
    assert release.marking.level is Level.UNCLASSIFIED
    with pytest.raises(StateConflict):
        rel.edit(release, {"texts": raw_release()["texts"]}, "TUR", NOW)


def test_any_edit_voids_earlier_approvals() -> None:
    release = proposed()
    release = rel.approve(release, "IRQ", 7, release.content_hash, NOW)
    assert set(release.valid_approvals) == {"IRQ"}
    texts = raw_release()["texts"]
    texts["en"] = {**texts["en"], "body": texts["en"]["body"] + " More follows."}
    edited = rel.edit(release, {"texts": texts}, "TUR", NOW)
    assert edited.content_hash != release.content_hash
    assert edited.valid_approvals == {} and edited.awaiting == {"TUR", "IRQ"}
    # The approval for the old text cannot be replayed against the new one.
    with pytest.raises(StateConflict) as err:
        rel.approve(edited, "TUR", 1, release.content_hash, NOW)
    assert err.value.details["current_hash"] == edited.content_hash
    with pytest.raises(Invalid):
        rel.edit(edited, {"texts": texts}, "TUR", NOW)  # no change


def test_a_nation_not_concerned_can_neither_approve_nor_edit() -> None:
    release = proposed()
    with pytest.raises(Forbidden):
        rel.approve(release, "SYR", 9, release.content_hash, NOW)
    with pytest.raises(Forbidden):
        rel.edit(release, {"references": []}, "SYR", NOW)


def test_approving_twice_or_with_a_malformed_hash_is_refused() -> None:
    release = proposed()
    release = rel.approve(release, "IRQ", 7, release.content_hash, NOW)
    with pytest.raises(StateConflict):
        rel.approve(release, "IRQ", 7, release.content_hash, NOW)
    with pytest.raises(Invalid):
        rel.approve(release, "TUR", 1, "abc", NOW)


def test_withdrawn_releases_take_no_approvals() -> None:
    release = rel.withdraw(proposed(), "IRQ", NOW)
    assert release.status is ReleaseStatus.WITHDRAWN
    with pytest.raises(StateConflict):
        rel.approve(release, "TUR", 1, release.content_hash, NOW)


def test_a_proposal_in_one_language_waits_for_its_translations_before_any_approval() -> None:
    """Issue #25 item 13: written in English only, the Turkish and Arabic texts are to be translated;
    nobody approves an incomplete text, and a concerned nation's translation (an edit) completes it."""
    texts = raw_release()["texts"]
    release = replace(proposed(texts={"en": texts["en"]}), id=1)
    assert release.content.to_translate == ("tr", "ar")
    with pytest.raises(StateConflict) as err:
        rel.approve(release, "TUR", 1, release.content_hash, NOW)
    assert err.value.field == "texts.tr"
    translated = rel.edit(release, {"texts": {"en": texts["en"], "tr": texts["tr"]}}, "IRQ", NOW)
    assert translated.content.to_translate == ("ar",)
    complete = rel.edit(translated, {"texts": texts}, "IRQ", NOW)
    assert complete.content.to_translate == ()
    approved = rel.approve(complete, "TUR", 1, complete.content_hash, NOW)
    assert approved.awaiting == frozenset({"IRQ"})
