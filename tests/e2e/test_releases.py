"""A joint public statement: proposed by TUR in three languages, approved by both nations'
commanders, then on the public page."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Officer, Server

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]

TITLE = "Joint statement on the river crossing exercise (demo)"


def test_a_statement_needs_every_concerned_nation_before_it_is_public(officer: OpenOfficer, server: Server) -> None:
    tur = officer("tur.commander")
    tur.sign_in(language="en")
    tur.go("/releases")
    form = tur.page.get_by_role("form", name="Propose a joint statement")
    texts = {
        "en": (TITLE, "The partner nations held a joint exercise at the river crossing. (Fictional.)"),
        "tr": ("Nehir geçidi tatbikatı hakkında ortak açıklama (demo)", "Ortak tatbikat yapıldı. (Kurgusal.)"),
        "ar": ("بيان مشترك بشأن تمرين معبر النهر (تجريبي)", "أجرت الدول الشريكة تمرينًا مشتركًا. (خيالي.)"),
    }
    # Each language's fields are named on screen (they had no visible labels).
    expect(form.locator("fieldset[lang=tr] legend")).to_have_text("Türkçe")
    expect(form.locator("fieldset[lang=ar] label").first).to_contain_text("Title")
    for lang, (title, body) in texts.items():
        form.get_by_label(f"Title ({lang})").fill(title)
        form.get_by_label(f"Text ({lang})").fill(body)
    form.get_by_role("button", name="Propose a joint statement").click()
    card = tur.page.get_by_test_id("release").filter(has_text=TITLE)
    expect(card).to_be_visible()
    card.get_by_role("button", name="Approve for publication").click()
    release_chip = card.locator("[data-testid$=-TUR]")
    expect(release_chip).to_contain_text("✓")
    with urllib.request.urlopen(f"{server.url}/public/releases.json", timeout=10) as r:  # noqa: S310 (local)
        assert TITLE not in r.read().decode("utf-8"), "published before every concerned nation approved"

    irq = officer("irq.commander")
    irq.sign_in(language="ar")
    irq.go("/releases")
    irq_card = irq.page.get_by_test_id("release").filter(has_text="بيان مشترك بشأن تمرين معبر النهر")
    expect(irq_card).to_be_visible()
    irq.screenshot("release-ar")
    irq_card.get_by_role("button", name="الموافقة على النشر").click()
    expect(irq_card).to_contain_text("منشور")
    with urllib.request.urlopen(f"{server.url}/public/releases.json", timeout=10) as r:  # noqa: S310 (local)
        assert TITLE in r.read().decode("utf-8")
