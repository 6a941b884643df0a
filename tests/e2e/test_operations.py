"""Joint operations in the browser: TUR draws and proposes an operation, both commanders approve, a
conflicting operation raises a conflict that both nations see."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Officer

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]


def draw_square(page: Page, cx: float, cy: float, half: float) -> None:
    """Click four corners on the editor's map around a point (pixels within the map) and finish."""
    page.get_by_test_id("draw-area").click()
    box = page.get_by_test_id("editor-map").bounding_box()
    assert box is not None
    x, y = box["x"] + cx, box["y"] + cy
    for dx, dy in ((-half, -half), (half, -half), (half, half), (-half, half)):
        page.mouse.click(x + dx, y + dy)
    page.keyboard.press("Enter")


def plan_operation(o: Officer, name: str, cx: float, cy: float) -> str:
    """Create and propose an operation; returns its page URL."""
    o.go("/operations")
    o.page.get_by_test_id("new-operation").click()
    o.page.fill("input[name=name]", name)
    o.page.fill("textarea[name=objective]", f"{name}: joint patrol of the border crossing (exercise).")
    partner = "IRQ" if "tur." in o.username else "TUR"
    o.page.check(f"input[name=part-{partner}]")  # a partner takes part only when chosen
    # ... and taking part means reading it: the marking releases it to them (ticked and locked).
    expect(o.page.locator(f"input[name=rel-{partner}]")).to_be_checked()
    expect(o.page.locator(f"input[name=rel-{partner}]")).to_be_disabled()
    draw_square(o.page, cx, cy, 40)
    o.page.get_by_test_id("save-operation").click()
    expect(o.page.get_by_test_id("operation-status")).to_be_visible()
    o.page.get_by_test_id("propose").click()
    expect(o.page.get_by_test_id("propose")).to_have_count(0)
    expect(o.page.get_by_test_id("operation-status")).not_to_have_text("draft")
    expect(o.page.get_by_test_id("approval-IRQ")).to_have_attribute("data-state", "pending")
    return o.page.url


def test_an_operation_drawn_by_tur_is_approved_by_both_and_a_conflict_is_seen_by_both(officer: OpenOfficer) -> None:
    planner = officer("tur.liaison")
    planner.sign_in(language="en")
    url = plan_operation(planner, "KARTAL-1 (demo)", 260, 200)
    expect(planner.page.get_by_test_id("approval-TUR")).to_have_attribute("data-state", "pending")
    planner.screenshot("operation-proposed-en")

    tur_cdr = officer("tur.commander")
    tur_cdr.sign_in()
    tur_cdr.page.goto(url)
    tur_cdr.page.get_by_test_id("approve").click()
    expect(tur_cdr.page.get_by_test_id("approval-TUR")).to_have_attribute("data-state", "approved")

    irq_cdr = officer("irq.commander")
    irq_cdr.sign_in(language="ar")
    irq_cdr.page.goto(url)
    expect(irq_cdr.page.locator("html")).to_have_attribute("dir", "rtl")
    expect(irq_cdr.page.get_by_test_id("approval-TUR")).to_have_attribute("data-state", "approved")
    irq_cdr.page.get_by_test_id("approve").click()
    expect(irq_cdr.page.get_by_test_id("approval-IRQ")).to_have_attribute("data-state", "approved")
    expect(irq_cdr.page.get_by_test_id("operation-status")).to_have_text("موافق عليها")
    irq_cdr.screenshot("operation-approved-ar")

    # The lead nation may still change an approved plan; the editor says what saving does to approvals.
    planner.page.goto(url)
    planner.page.get_by_role("button", name="Edit plan").click()
    expect(planner.page.get_by_test_id("new-version-rule")).to_contain_text("version 2")
    expect(planner.page.get_by_test_id("new-version-rule")).to_contain_text("every approval given so far is void")

    # A second operation over the same ground and time conflicts with the first.
    second = plan_operation(planner, "KARTAL-2 (demo)", 270, 210)
    expect(planner.page.get_by_test_id("conflict").first).to_be_visible(timeout=20000)
    planner.screenshot("operation-conflict-en")

    # The standing conflict blocks approval: Approve is not offered, and the reason is given in the
    # reader's language, without internal ids. It stands until every nation concerned has cleared it
    # for itself: TUR's override leaves it awaiting IRQ; once IRQ's commander overrides too, it reads
    # "overridden", not "open", and approval is offered.
    tur_cdr.page.select_option("select.lang", "tr")
    tur_cdr.page.goto(second)
    expect(tur_cdr.page.get_by_test_id("approve")).to_be_disabled()
    reason = tur_cdr.page.get_by_test_id("approve-blocked")
    expect(reason).to_contain_text("Onay, hâlâ açık")
    assert "conflict" not in reason.inner_text().lower()
    conflict = tur_cdr.page.get_by_test_id("conflict").first
    expect(conflict).to_have_attribute("data-status", "open")
    conflict.get_by_role("button", name="Geçersiz kıl").click()
    conflict.locator("input").fill("Patrols coordinated by phone (exercise).")
    conflict.locator("button[type=submit]").click()
    expect(conflict.get_by_test_id("conflict-awaiting")).to_contain_text("IRQ")
    expect(conflict).to_have_attribute("data-status", "open")
    expect(tur_cdr.page.get_by_test_id("approve")).to_be_disabled()
    expect(conflict.get_by_role("button", name="Geçersiz kıl")).to_have_count(0)  # TUR has given its own

    irq_cdr.page.goto(second)
    irq_conflict = irq_cdr.page.get_by_test_id("conflict").first
    irq_conflict.get_by_role("button", name="تجاوز").click()
    irq_conflict.locator("input").fill("Agreed with TUR by phone (exercise).")
    irq_conflict.locator("button[type=submit]").click()
    expect(irq_conflict).to_have_attribute("data-status", "overridden")

    tur_cdr.page.reload()
    expect(conflict).to_have_attribute("data-status", "overridden")
    expect(tur_cdr.page.get_by_test_id("conflicts-standing")).to_have_text("0")
    expect(tur_cdr.page.get_by_test_id("approve")).to_be_enabled()
    expect(reason).to_have_count(0)
    tur_cdr.page.get_by_test_id("approve").click()
    expect(tur_cdr.page.get_by_test_id("approval-TUR")).to_have_attribute("data-state", "approved")
    expect(conflict).to_have_attribute("data-status", "overridden")

    # The lead nation revises the plan: the version history says what changed; the sync matrix
    # comes as CSV too.
    planner.page.goto(second)
    planner.page.get_by_role("button", name="Edit").click()
    # A change of when (the end moves a day later) after proposal is a new version.
    ends = planner.page.locator("input[name=ends_at]")  # typed as ISO 8601 UTC ("2026-12-07 14:30")
    later = datetime.fromisoformat(ends.input_value()) + timedelta(days=1)
    ends.fill(later.strftime("%Y-%m-%d %H:%M"))
    planner.page.get_by_test_id("save-operation").click()
    versions = planner.page.get_by_test_id("versions")
    expect(versions.get_by_test_id("version-2")).to_contain_text("Window")
    expect(versions.get_by_test_id("version-2")).not_to_contain_text("Area")
    csv = planner.context.request.get(f"{planner.base}{planner.page.get_by_test_id('sync-csv').get_attribute('href')}")
    assert csv.status == 200 and csv.headers["content-type"].startswith("text/csv")

    irq_cdr.page.goto(url)
    expect(irq_cdr.page.get_by_test_id("conflict").first).to_be_visible()
    irq_cdr.go("/map")
    expect(irq_cdr.page.locator(".layer-row", has_text="التعارضات")).not_to_contain_text(re.compile(r"\b0\b"))
