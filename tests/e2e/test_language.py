"""Server codes in the reader's language: incident categories, timeline entries, audit actions and
item types, roles; Arabic mirrors the arrows that point along the reading direction."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Officer

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]

# (category, first timeline entry, the operation item type) as each language writes them.
WORDS = {
    "en": ("Border violation", "reported", "operation"),
    "tr": ("Sınır ihlali", "bildirildi", "harekât"),
    "ar": ("انتهاك حدودي", "أُبلغ عنه", "عملية"),
}
RAW = re.compile(r"\b(border_violation|armed_attack|investigation_started|field_unit|intel_object)\b")


@pytest.mark.parametrize("language", ["en", "tr", "ar"])
def test_server_codes_are_read_in_the_readers_language(officer: OpenOfficer, language: str) -> None:
    category, reported, operation = WORDS[language]
    o = officer("tur.watch")
    o.sign_in(language=language)
    o.go("/incidents")
    table = o.page.locator("table").first
    expect(table).to_contain_text(category)
    assert not RAW.search(table.inner_text())
    table.locator("tr", has_text=category).first.locator("a").first.click()
    detail = o.page.get_by_test_id("incident")
    expect(detail).to_contain_text(category)
    timeline = o.page.locator(".timeline-list")
    expect(timeline.locator("[data-kind=reported]").first).to_have_text(reported)
    assert not RAW.search(detail.inner_text())
    back = detail.locator(".dir-arrow").first
    transform = back.evaluate("e => getComputedStyle(e).transform")
    mirrored = transform.startswith("matrix(-1")
    assert mirrored == (language == "ar"), transform

    o.go("/audit")
    entries = o.page.get_by_test_id("audit-entries")
    expect(entries.locator("tbody tr").first).to_be_visible()
    wanted = f"{operation} · proposed · {operation} "
    for _ in range(10):  # page back to the demo's operations
        if wanted in entries.inner_text():
            break
        shown = o.page.get_by_test_id("audit-range").inner_text()
        o.page.get_by_test_id("audit-older").click()
        expect(o.page.get_by_test_id("audit-range")).not_to_have_text(shown)
    expect(entries).to_contain_text(wanted)
    if language != "en":
        assert "operation · " not in entries.inner_text()
