"""A TUR-only report never appears anywhere in IRQ's interface, while one released to IRQ does."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Officer, Server, require_feature

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]

TUR_ONLY = "Source network south of the river (TUR eyes only, demo)"
SHARED = "Vehicle checkpoint activity (shared, demo)"
SCREENS = ["/map", "/intel", "/operations", "/incidents", "/releases", "/chat", "/audit", "/admin"]


def publish(o: Officer, title: str, release_to_irq: bool) -> None:
    o.go("/intel")
    form = o.page.get_by_role("form", name="Publish intelligence")
    form.locator("input[name=name]").fill(title)
    # A report is about a place, picked on the map (nothing is prefilled).
    form.get_by_test_id("intel-place-map").click()
    expect(form.get_by_test_id("picked-place")).to_be_visible()
    form.locator("textarea[name=description]").fill(f"{title}: details for the watch.")
    # Release is a deliberate act: nothing but the author's nation is ticked until one chooses.
    expect(form.locator("input[name=rel-IRQ]")).not_to_be_checked()
    expect(form.get_by_test_id("release-hint")).to_contain_text("Only TUR can read this")
    if release_to_irq:
        form.get_by_test_id("release-all").click()
        expect(form.locator("input[name=rel-IRQ]")).to_be_checked()
        expect(form.get_by_test_id("release-own")).to_be_visible()
    form.locator("select[name=level]").select_option("CONFIDENTIAL")
    form.get_by_test_id("publish").click()
    expect(o.page.get_by_test_id("intel-detail")).to_contain_text(title)


def test_a_tur_only_report_never_reaches_irq(officer: OpenOfficer, server: Server) -> None:
    require_feature(server, "/api/intel/objects")
    tur = officer("tur.analyst")
    tur.sign_in(language="en")
    publish(tur, TUR_ONLY, release_to_irq=False)
    expect(tur.page.get_by_test_id("banner-top")).to_contain_text("TUR ONLY")
    tur.screenshot("intel-tur-only-en")
    publish(tur, SHARED, release_to_irq=True)
    tur.go("/intel")
    expect(tur.page.get_by_test_id("intel-feed")).to_contain_text(TUR_ONLY)

    irq = officer("irq.analyst")
    irq.sign_in(language="ar")
    irq.go("/intel")
    feed = irq.page.get_by_test_id("intel-feed")
    expect(feed).to_contain_text(SHARED)
    irq.screenshot("intel-feed-ar")
    for path in SCREENS:
        irq.go(path)
        irq.page.wait_for_load_state("networkidle")
        assert TUR_ONLY not in irq.page.content(), f"the TUR-only report leaked into IRQ's {path}"
    # Searching for it finds nothing either.
    irq.go("/intel")
    irq.page.fill("input[name=q]", "Source network")
    irq.page.locator("form.toolbar button[type=submit]").click()
    expect(irq.page.get_by_test_id("intel-feed")).to_contain_text("لا شيء هنا")
