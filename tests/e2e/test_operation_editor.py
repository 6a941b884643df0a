"""The operation editor shows what surrounds the draft while it is drawn (other operations, protected
sites, tracks) and checks it live against what the planner may see: the demo's TUR-only
reconnaissance flight is named to TUR and never shown to IRQ."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Officer

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]

# The demo's items near 43.2°E 36.65°N (concord/demo_operations.py).
SHARED = ["Operation AMBER KESTREL (demo)", "Operation DESERT LANTERN (demo)", "Demo Valley Clinic (fictional)",
          "Demo aid convoy (fictional NGO)"]
TUR_ONLY = "Demo national reconnaissance flight"


def open_editor_and_draw(o: Officer) -> None:
    o.go("/operations")
    o.page.get_by_test_id("new-operation").click()
    # A window over the demo's whole scenario (it starts two days from now and lasts about five).
    starts = datetime.now(UTC) + timedelta(days=1)
    o.page.locator("input[name=starts_at]").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    o.page.locator("input[name=ends_at]").fill((starts + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    overlaps = o.page.get_by_test_id("draft-overlaps")
    expect(overlaps).to_be_visible()
    expect(o.page.get_by_test_id("draft-overlap")).to_have_count(0)   # nothing drawn, nothing checked
    # The context is on the map before anything is drawn: the demo's operation areas and sites.
    expect(o.page.locator(".context-layers label", has=o.page.locator("input[name=context-operations]"))
           ).to_contain_text(re.compile(r"\([1-9١-٩]"))
    expect(o.page.locator(".context-layers label", has=o.page.locator("input[name=context-sites]"))
           ).to_contain_text(re.compile(r"\([1-9١-٩]"))
    editor_map = o.page.get_by_test_id("editor-map")
    expect(editor_map.locator("path.leaflet-interactive").first).to_be_visible()
    # Let the page settle before measuring where to click: the sign-in's alert scan may still be
    # reading, and a FLASH banner it raises pushes the map down (the clicks would land elsewhere).
    o.page.wait_for_load_state("networkidle")
    # A square of 80 px around the map's centre (36.5°N 43.5°E at zoom 6): about 1.8° a side.
    box = editor_map.bounding_box()
    assert box is not None
    o.page.get_by_test_id("draw-area").click()
    x, y = box["x"] + box["width"] / 2 - 10, box["y"] + box["height"] / 2 - 5
    for dx, dy in ((-40, -40), (40, -40), (40, 40), (-40, 40)):
        o.page.mouse.click(x + dx, y + dy)
    o.page.keyboard.press("Enter")
    # The square is drawn (in the area colour) and checked: the list, "no overlaps" or an error.
    expect(editor_map.locator('path[stroke="#ffd33d"]')).to_have_count(1)
    checked = o.page.get_by_test_id("draft-overlaps").locator(
        "[data-testid=draft-overlaps-count], [data-testid=draft-overlaps-none], [role=alert]")
    expect(checked.first).to_be_visible(timeout=20000)


def overlap_names(o: Officer) -> list[str]:
    return sorted(o.page.get_by_test_id("draft-overlap").locator("bdi").all_inner_texts())


def test_the_draft_is_checked_live_against_what_each_nation_may_see(officer: OpenOfficer) -> None:
    irq = officer("irq.liaison")
    irq.sign_in(language="ar")
    open_editor_and_draw(irq)
    expect(irq.page.get_by_test_id("draft-overlap")).to_have_count(len(SHARED), timeout=20000)
    assert overlap_names(irq) == sorted(SHARED)
    expect(irq.page.get_by_test_id("draft-overlaps-count")).to_contain_text("ستتداخل")
    assert TUR_ONLY not in irq.page.content()
    # The overlaps are drawn over the map in the conflict colour.
    expect(irq.page.locator('[data-testid=editor-map] path[stroke="#e040fb"]')).to_have_count(len(SHARED))
    irq.screenshot("operation-editor-preview-ar")

    # Moving the window past the scenario leaves only what stands at every time (the clinic has no
    # window); nothing was saved.
    late = datetime.now(UTC) + timedelta(days=30)
    irq.page.locator("input[name=starts_at]").fill(late.strftime("%Y-%m-%dT%H:%M"))
    irq.page.locator("input[name=ends_at]").fill((late + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    expect(irq.page.get_by_test_id("draft-overlap")).to_have_count(1)
    assert overlap_names(irq) == ["Demo Valley Clinic (fictional)"]
    # ... and one drawn far from everything overlaps nothing.
    irq.page.get_by_test_id("draw-area").click()
    box = irq.page.get_by_test_id("editor-map").bounding_box()
    assert box is not None
    for x, y in ((30, 60), (90, 60), (90, 120), (30, 120)):
        irq.page.mouse.click(box["x"] + box["width"] - x, box["y"] + y)   # the north-east corner
    irq.page.keyboard.press("Enter")
    expect(irq.page.get_by_test_id("draft-overlaps-none")).to_be_visible()
    expect(irq.page.get_by_test_id("draft-overlap")).to_have_count(0)
    assert irq.page.evaluate("location.pathname") == "/operations/new"

    # Switching layers off takes them off the map, not out of the check.
    irq.page.uncheck("input[name=context-sites]")
    irq.page.uncheck("input[name=context-operations]")
    irq.page.uncheck("input[name=context-tracks]")
    expect(irq.page.locator("[data-testid=editor-map] path.leaflet-interactive")).to_have_count(1)  # the draft
    irq.assert_no_console_errors()

    tur = officer("tur.liaison")
    tur.sign_in(language="tr")
    open_editor_and_draw(tur)
    expect(tur.page.get_by_test_id("draft-overlap")).to_have_count(len(SHARED) + 1, timeout=20000)
    assert overlap_names(tur) == sorted([*SHARED, TUR_ONLY])
    expect(tur.page.get_by_test_id("draft-overlaps-count")).to_contain_text("çakışacak")
    tur.screenshot("operation-editor-preview-tr")
    tur.assert_no_console_errors()


@pytest.mark.parametrize("width", [1024, 1366, 1440, 1920])
def test_the_editor_map_and_its_check_fit_common_widths(officer: OpenOfficer, width: int) -> None:
    planner = officer("tur.liaison")
    planner.page.set_viewport_size({"width": width, "height": 900})
    planner.sign_in(language="en")
    open_editor_and_draw(planner)
    expect(planner.page.get_by_test_id("draft-overlap").first).to_be_visible(timeout=20000)
    page_width = planner.page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= width, f"the editor overflows {width} px: {page_width}"
    for testid in ("editor-map", "draft-overlaps", "save-operation"):
        box = planner.page.get_by_test_id(testid).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, testid
    planner.screenshot(f"operation-editor-{width}")
    planner.assert_no_console_errors()
