"""Chat in the browser: TUR posts a FLASH message, IRQ sees the alert and acknowledges in one click,
TUR sees the acknowledgement, all live (no reload)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Officer, Server, require_feature

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]


def open_joint_channel(o: Officer) -> None:
    o.go("/chat")
    o.page.locator(".channel-list a", has_text="Joint watch").click()
    expect(o.page.locator(".thread-head h1")).to_have_text("Joint watch")


def test_a_flash_from_tur_is_alerted_to_irq_acknowledged_and_seen_acknowledged_by_tur(
    officer: OpenOfficer, server: Server
) -> None:
    require_feature(server, "/api/channels")
    irq = officer("irq.watch")
    irq.sign_in()
    irq.page.select_option("select.lang", "ar")
    irq.go("/map")
    # Acknowledging for a nation is the on-duty watch officer's job: IRQ's takes the watch if needed.
    duty = irq.page.get_by_test_id("duty")
    expect(duty).to_be_visible()
    if "off" in (duty.get_attribute("class") or ""):
        duty.click()
    expect(duty).to_have_text("في المناوبة")

    tur = officer("tur.watch")
    tur.sign_in()
    tur.page.select_option("select.lang", "en")
    open_joint_channel(tur)
    tur.page.select_option("select[name=precedence]", "FLASH")
    tur.page.fill("textarea[name=body]", "Armed group crossing near border post 7 (exercise).")
    tur.page.get_by_test_id("send").click()
    flash = tur.page.get_by_test_id("message").filter(has_text="border post 7")
    expect(flash).to_have_attribute("data-precedence", "FLASH")
    expect(flash.locator("[data-nation=IRQ]")).to_have_attribute("data-state", "pending")

    # IRQ, on the map, gets the banner without reloading; the alert count shows it too.
    banner = irq.page.get_by_test_id("flash-banner")
    expect(banner).to_be_visible(timeout=15000)
    expect(banner).to_contain_text("border post 7")
    expect(irq.page.get_by_test_id("alert-count")).not_to_have_text("⚑ ٠")
    irq.screenshot("flash-banner-ar")
    irq.page.get_by_test_id("flash-ack").click()
    expect(banner.filter(has_text="border post 7")).to_have_count(0)

    expect(flash.locator("[data-nation=IRQ]")).to_have_attribute("data-state", "acknowledged", timeout=15000)
    expect(flash.locator("[data-nation=IRQ]")).to_contain_text("Huda Al-Namudhaji")
    tur.screenshot("chat-flash-acknowledged-en")
