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
    expect(form.locator("fieldset[lang=tr] legend")).to_contain_text("Türkçe")
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


@pytest.mark.parametrize("width", [1024, 1920])
def test_a_statement_written_in_one_language_waits_for_its_translations(officer: OpenOfficer, width: int) -> None:
    """Issue #25 item 13: TUR writes in Turkish only; the other languages are marked to be translated and
    nobody is offered an approval until IRQ's liaison adds them (an edit, in the Arabic interface)."""
    title_tr = f"Sınır kapısı çalışma saatleri hakkında ortak duyuru ({width})"
    tur = officer("tur.liaison")
    tur.page.set_viewport_size({"width": width, "height": 900})
    tur.sign_in(language="tr")
    tur.go("/releases")
    form = tur.page.get_by_role("form", name="Ortak açıklama öner")
    form.get_by_label("Başlık (tr)").fill(title_tr)
    form.get_by_label("Metin (tr)").fill("Sınır kapısı 1 Aralık'tan itibaren 24 saat açık olacaktır. (Kurgusal.)")
    expect(form.locator("fieldset[lang=ar] [data-testid=to-translate]")).to_have_text("(çevrilecek)")
    expect(form.locator("fieldset[lang=tr] [data-testid=to-translate]")).to_have_count(0)
    form.get_by_role("button", name="Ortak açıklama öner").click()
    card = tur.page.get_by_test_id("release").filter(has_text=title_tr)
    expect(card.get_by_test_id("release-missing")).to_contain_text("English ve العربية")  # a Turkish list
    scroll = tur.page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the releases page overflows {width} px: {scroll}"

    commander = officer("tur.commander")
    commander.sign_in(language="en")
    commander.go("/releases")
    found = commander.page.get_by_test_id("release").filter(has_text=title_tr)  # shown in what is written
    waiting = commander.page.locator(f"[data-testid=release][data-id='{found.get_attribute('data-id')}']")
    expect(waiting.get_by_role("button", name="Approve for publication")).to_be_disabled()
    waiting.get_by_role("button", name="EN ·").click()
    expect(waiting.get_by_test_id("release-to-translate")).to_have_text("Not yet written in English: to be translated.")

    irq = officer("irq.liaison")
    irq.page.set_viewport_size({"width": width, "height": 900})
    irq.sign_in(language="ar")
    irq.go("/releases")
    irq_card = irq.page.get_by_test_id("release").filter(has_text=title_tr)
    irq_card.get_by_test_id("release-translate").click()
    translation = irq_card.get_by_test_id("release-translation")
    expect(translation.locator("fieldset[lang=tr]")).to_have_count(0)  # only what is missing
    translation.get_by_label("العنوان (ar)").fill("إعلان مشترك بشأن ساعات عمل المنفذ الحدودي")
    translation.get_by_label("النص (ar)").fill("سيفتح المنفذ الحدودي على مدار الساعة اعتبارًا من 1 كانون الأول.")
    translation.get_by_label("العنوان (en)").fill(f"Joint notice on border gate hours ({width})")
    translation.get_by_label("النص (en)").fill("The border gate opens around the clock from 1 December. (Fictional.)")
    irq.screenshot(f"release-translation-ar-{width}")
    translation.get_by_role("button", name="حفظ").click()
    expect(irq_card.get_by_test_id("release-missing")).to_have_count(0)

    commander.page.reload()
    done = commander.page.get_by_test_id("release").filter(has_text=f"Joint notice on border gate hours ({width})")
    expect(done.get_by_role("button", name="Approve for publication")).to_be_enabled()
