"""The incident page (issue #25 item 9 leftover): each concerned nation's assignee is shown there, and
one's own nation's is picked there (it was only in Administration); the other nation's is read-only."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Officer

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]
ASSIGNEES = {"en": "Assignees", "tr": "Sorumlular", "ar": "المكلَّفون"}
REPORT = {"en": "Report an incident"}


@pytest.mark.parametrize("language", ["en", "tr", "ar"])
def test_each_nation_picks_its_own_assignee_on_the_incident_page(officer: OpenOfficer, language: str) -> None:
    tur = officer("tur.watch")
    tur.sign_in(language="en")
    tur.go("/incidents")
    form = tur.page.get_by_role("form", name=REPORT["en"])
    form.locator("input[name=title]").fill(f"Assignee check {language} (demo)")
    form.locator("input[name=partner-IRQ]").check()
    form.get_by_role("button", name=REPORT["en"]).click()
    expect(tur.page.get_by_test_id("incident")).to_contain_text(f"Assignee check {language} (demo)")
    url = tur.page.url

    irq = officer("irq.liaison")
    irq.sign_in(language=language)
    irq.page.goto(url)
    assignees = irq.page.get_by_test_id("incident-assignees")
    expect(irq.page.get_by_test_id("incident").locator("dt", has_text=ASSIGNEES[language])).to_have_count(1)
    lines = assignees.locator(".assignee-line")
    expect(lines).to_have_count(2)
    expect(lines.filter(has_text="TUR").locator("select")).to_have_count(0)  # the other nation's: read-only
    picker = lines.filter(has_text="IRQ").get_by_test_id("assignee")
    with irq.page.expect_response(lambda r: "/assignees/IRQ" in r.url) as answer:
        picker.select_option(index=1 if picker.locator("option[value='']").count() else 0)
    assert answer.value.status == 200
    irq.page.reload()
    expect(irq.page.get_by_test_id("incident-assignees").get_by_test_id("assignee")).to_have_value(re.compile(r"^\d+$"))
    chosen = irq.page.get_by_test_id("assignee").evaluate("s => s.selectedOptions[0].textContent")
    tur.page.reload()
    irq_line = tur.page.get_by_test_id("incident-assignees").locator(".assignee-line", has_text="IRQ")
    expect(irq_line).to_contain_text(chosen)
    irq.screenshot(f"incident-assignees-{language}")


@pytest.mark.parametrize("width", [1024, 1366, 1440, 1920])
def test_the_sound_off_label_never_lies_on_the_clock(officer: OpenOfficer, width: int) -> None:
    """In Arabic at 1440 px the header's "sound off" words overlapped the clock: the button now grows."""
    o = officer("irq.watch")
    o.page.set_viewport_size({"width": width, "height": 800})
    o.sign_in(language="ar")
    o.page.reload()  # no click since the page loaded: the browser keeps the sound off
    sound = o.page.get_by_test_id("sound")
    o.page.wait_for_load_state("networkidle")
    expect(sound).to_have_attribute("data-sound", "off")
    # One reading of the three boxes (the header settles as the names and counts arrive).
    rects = o.page.evaluate("""() => {
      const box = (e) => { if (!e || !e.offsetParent) return null; const r = e.getBoundingClientRect();
                           return [r.left, r.right]; };
      const sound = document.querySelector("[data-testid=sound]");
      return { sound: box(sound), words: box(sound.querySelector(".sound-label")),
               mark: box(sound.querySelector(".sound-mark")), clock: box(document.querySelector(".clock")) };
    }""")
    for part in (rects["words"], rects["mark"]):
        if part is None:  # the words are left out below 1400 px (the struck-out note stays)
            continue
        left, right = part
        assert right <= rects["clock"][0] or rects["clock"][1] <= left, (width, rects)
        assert rects["sound"][0] <= left and right <= rects["sound"][1] + 0.5, (width, rects)
    words = o.page.get_by_test_id("sound").locator(".sound-label")
    if width == 1440:
        expect(words).to_be_visible()
        o.screenshot("header-sound-off-ar-1440")
