"""Chat in the browser: TUR posts a FLASH message, IRQ sees the alert and acknowledges in one click,
TUR sees the acknowledgement, all live (no reload); a file attached in the composer reaches the other
member of a conversation and no one else."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Officer, Server, require_feature
from tests.factories import tiny_png

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
    irq.sign_in(language="ar")
    irq.go("/map")
    # Acknowledging for a nation is the on-duty watch officer's job: IRQ's takes the watch if needed.
    duty = irq.page.get_by_test_id("duty")
    expect(duty).to_be_visible()
    if "off" in (duty.get_attribute("class") or ""):
        duty.click()
    expect(duty).to_have_text("في المناوبة")

    # IRQ's liaison officer (not on the watch) sees the FLASH but is not offered to acknowledge it.
    liaison = officer("irq.liaison")
    liaison.sign_in(language="tr")
    liaison.go("/map")

    tur = officer("tur.watch")
    tur.sign_in(language="en")
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
    expect(irq.page.get_by_test_id("alert-count")).not_to_have_text("⚑ 0")  # Latin digits in Arabic too
    irq.screenshot("flash-banner-ar")
    seen = liaison.page.get_by_test_id("flash-banner")
    expect(seen).to_contain_text("border post 7", timeout=15000)
    expect(seen.get_by_test_id("flash-awaiting")).to_contain_text("Nöbetçi harekât subayınızın alındı onayı bekleniyor")
    expect(seen.get_by_test_id("flash-ack")).to_have_count(0)
    # It folds to a thin strip that still counts it, and unfolds.
    seen.get_by_test_id("flash-fold").click()
    expect(seen).to_have_attribute("data-folded", "true")
    expect(seen).to_contain_text(re.compile(r"\d+ onaylanmamış"))
    seen.get_by_test_id("flash-unfold").click()
    expect(seen).to_contain_text("border post 7")
    irq.page.get_by_test_id("flash-ack").click()
    expect(banner.filter(has_text="border post 7")).to_have_count(0)

    expect(flash.locator("[data-nation=IRQ]")).to_have_attribute("data-state", "acknowledged", timeout=15000)
    expect(flash.locator("[data-nation=IRQ]")).to_contain_text("Huda Al-Namudhaji")
    tur.screenshot("chat-flash-acknowledged-en")


def open_channel(o: Officer, name: str) -> None:
    o.go("/chat")
    o.page.locator(".channel-list a", has_text=name).click()
    expect(o.page.locator(".thread-head h1")).to_have_text(name)


def test_a_file_attached_in_the_composer_reaches_the_other_side_and_no_one_else(
    officer: OpenOfficer, server: Server, tmp_path: Path
) -> None:
    require_feature(server, "/api/channels/{channel_id}/messages/with-attachments")
    tur = officer("tur.liaison")
    tur.sign_in(language="en")
    open_channel(tur, "Liaison desk TUR–IRQ")
    # The demo's fictional route card is on the thread, with its size and a download link.
    card = tur.page.get_by_test_id("attachment").filter(has_text="route-card-EXERCISE.txt")
    expect(card).to_contain_text("bytes")
    with tur.page.expect_download() as downloaded:
        card.locator("a").click()
    assert downloaded.value.suggested_filename == "route-card-EXERCISE.txt"
    assert "FICTIONAL" in Path(downloaded.value.path()).read_text(encoding="utf-8")

    sketch = tmp_path / "sketch-KESTREL-7-exercise.png"
    sketch.write_bytes(tiny_png(16, 16))
    tur.page.set_input_files("input[name=files]", str(sketch))
    expect(tur.page.get_by_test_id("pending-files")).to_contain_text("sketch-KESTREL-7-exercise.png")
    tur.page.fill("textarea[name=body]", "Sketch of the halt at water point ORCHID (exercise).")
    tur.page.get_by_test_id("send").click()
    posted = tur.page.get_by_test_id("message").filter(has_text="water point ORCHID")
    expect(posted.get_by_test_id("attachment")).to_contain_text("sketch-KESTREL-7-exercise.png")
    expect(tur.page.get_by_test_id("pending-files")).to_have_count(0)
    tur.screenshot("chat-attachment-en")

    # The other member, in Arabic, sees it and downloads exactly the bytes sent.
    irq = officer("irq.liaison")
    irq.sign_in(language="ar")
    open_channel(irq, "Liaison desk TUR–IRQ")
    link = irq.page.get_by_test_id("attachment").filter(has_text="sketch-KESTREL-7-exercise.png").locator("a")
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    assert href is not None
    got = irq.page.request.get(server.url + href)
    assert got.status == 200 and got.body() == tiny_png(16, 16)
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    irq.screenshot("chat-attachment-ar")

    # A watch officer of the same nation who is not in the conversation gets 404, not the file.
    outsider = officer("tur.watch")
    outsider.sign_in()
    assert outsider.page.request.get(server.url + href).status == 404


def test_one_edits_retracts_and_searches_messages(officer: OpenOfficer, server: Server) -> None:
    """Search, edit and retract were API-only."""
    require_feature(server, "/api/channels")
    o = officer("tur.liaison")
    o.sign_in(language="tr")
    o.go("/chat")
    o.page.locator(".channel-list a").first.click()
    o.page.fill("textarea[name=body]", "Fuel convoy ORCHID leaves at 1400Z (exercise).")
    o.page.get_by_test_id("send").click()
    posted = o.page.get_by_test_id("message").filter(has_text="convoy ORCHID").last
    expect(posted).to_be_visible()
    mine = o.page.locator(f"[data-message-id='{posted.get_attribute('data-message-id')}']")

    mine.get_by_test_id("message-edit").click()
    mine.get_by_test_id("message-edit-body").fill("Fuel convoy ORCHID leaves at 1500Z (exercise).")
    mine.get_by_role("button", name="Kaydet").click()
    expect(mine).to_contain_text("1500Z")
    expect(mine).to_contain_text("düzenlendi")

    o.page.get_by_test_id("chat-search").fill("orchid")
    o.page.get_by_test_id("chat-search").press("Enter")
    expect(o.page.get_by_test_id("chat-results")).to_contain_text("1500Z")

    o.page.once("dialog", lambda dialog: dialog.accept())
    mine.get_by_test_id("message-retract").click()
    expect(mine).not_to_contain_text("1500Z")
    expect(mine.get_by_test_id("message-edit")).to_have_count(0)
