"""The audit view: the latest checkpoint with each nation's cosignature state, and an entry verified
in the browser against the checkpoint (and caught when the server's proof is tampered with)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from playwright.sync_api import Route, expect

from tests.e2e.conftest import Officer

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]


def test_an_entry_is_verified_in_the_browser_and_a_forged_proof_is_caught(officer: OpenOfficer) -> None:
    irq = officer("irq.watch")
    irq.sign_in(language="en")
    irq.go("/audit")
    expect(irq.page.get_by_test_id("cosign-TUR")).to_be_visible()
    expect(irq.page.get_by_test_id("cosign-IRQ")).to_be_visible()
    rows = irq.page.get_by_test_id("audit-entries").locator("tbody tr")
    expect(rows.first).to_be_visible()

    first = irq.page.locator("[data-testid^=verify-]").first
    index = (first.get_attribute("data-testid") or "").removeprefix("verify-")
    first.click()
    expect(irq.page.get_by_test_id(f"verified-{index}")).to_contain_text("Verified in this browser")
    irq.screenshot("audit-en")

    # The server (or someone between) changes one hash of the next proof: the browser notices.
    def forge(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        if body["proof"]:
            body["proof"][0] = ("0" if body["proof"][0][0] != "0" else "1") + body["proof"][0][1:]
        else:
            body["leaf_hash"] = "00" * 32
        route.fulfill(response=response, body=json.dumps(body))

    irq.page.route("**/api/audit/proof/inclusion/**", forge)
    second = irq.page.locator("[data-testid^=verify-]").first
    index = (second.get_attribute("data-testid") or "").removeprefix("verify-")
    second.click()
    expect(irq.page.get_by_test_id(f"verified-{index}")).to_contain_text("Verification FAILED")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_audit_log_pages_back_hides_reads_and_searches(officer: OpenOfficer, language: str) -> None:
    """The list was the last 50 entries, mostly reads, with no filter, search or paging."""
    o = officer("tur.admin")
    o.sign_in(language=language)
    for path in ("/intel", "/operations", "/incidents"):  # reading things writes read entries
        o.go(path)
        o.page.wait_for_load_state("networkidle")
    o.go("/audit")
    rows = o.page.get_by_test_id("audit-entries").locator("tbody tr")
    expect(rows.first).to_be_visible()
    hide = o.page.get_by_test_id("audit-hide-reads")
    expect(hide).to_be_checked()
    read_word = {"en": "read · ", "ar": "قُرئ · "}[language]
    assert not any(read_word in r for r in rows.all_inner_texts())
    hide.uncheck()
    expect(rows.filter(has_text=read_word).first).to_be_visible()
    hide.check()

    person = {"en": "person", "ar": "شخص"}[language]  # sign-ins are always among the latest entries
    o.page.get_by_test_id("audit-search").fill(person)
    expect(rows.first).to_contain_text(person)
    texts = rows.all_inner_texts()
    assert texts and all(person in text for text in texts)
    o.page.get_by_test_id("audit-search").fill("")

    latest = o.page.get_by_test_id("audit-range").inner_text()
    o.page.get_by_test_id("audit-older").click()
    expect(o.page.get_by_test_id("audit-range")).not_to_have_text(latest)
    expect(o.page.get_by_test_id("audit-latest")).to_be_enabled()
    o.page.get_by_test_id("audit-latest").click()
    expect(o.page.get_by_test_id("audit-latest")).to_be_disabled()  # back on the live, latest page
