"""Incidents and RFIs in the browser, across the two nations."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Officer

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]


def test_an_rfi_from_irq_is_answered_by_tur(officer: OpenOfficer) -> None:
    irq = officer("irq.liaison")
    irq.sign_in(language="en")
    irq.go("/incidents/rfi/outbox")
    form = irq.page.get_by_role("form", name="New RFI")
    form.get_by_label("Subject").fill("Ford crossings used last night (demo)")
    form.get_by_label("Question").fill("Which ford crossings on the river were used between 0100Z and 0400Z?")
    form.locator("input[name=to-TUR]").check()  # addressed (and so released) to TUR only when chosen
    form.get_by_role("button", name="Send RFI").click()
    rfi = irq.page.get_by_test_id("rfi")
    expect(rfi).to_contain_text("Ford crossings used last night (demo)")
    url = irq.page.url

    tur = officer("tur.liaison")
    tur.sign_in(language="tr")
    tur.go("/incidents/rfi/inbox")
    row = tur.page.get_by_test_id("rfi-inbox").locator("tr", has_text="Ford crossings used last night")
    expect(row).to_contain_text("içinde")  # the deadline counts down in Turkish
    tur.screenshot("rfi-inbox-tr")
    row.get_by_role("link").click()
    tur.page.get_by_role("button", name="Kabul et").click()
    expect(tur.page.get_by_test_id("rfi").locator("h1")).to_contain_text("kabul edildi")
    tur.page.get_by_label("Yanıtla").fill("Crossings 3 and 5, by two vehicles (demo answer).")
    tur.page.get_by_role("button", name="Yanıtla").click()
    expect(tur.page.get_by_test_id("rfi")).to_contain_text("Crossings 3 and 5")

    irq.page.goto(url)
    expect(irq.page.get_by_test_id("rfi")).to_contain_text("Crossings 3 and 5")
    expect(irq.page.get_by_test_id("rfi")).to_contain_text("answered")


def test_an_incident_reported_by_tur_is_acknowledged_by_irq(officer: OpenOfficer) -> None:
    tur = officer("tur.watch")
    tur.sign_in(language="en")
    tur.go("/incidents")
    form = tur.page.get_by_role("form", name="Report an incident")
    form.locator("input[name=title]").fill("Shots heard near the river bend (demo)")
    form.locator("input[name=partner-IRQ]").check()  # shared with IRQ (and released to it) only when chosen
    form.get_by_role("button", name="Report an incident").click()
    incident = tur.page.get_by_test_id("incident")
    expect(incident).to_contain_text("Shots heard near the river bend (demo)")
    url = tur.page.url

    irq = officer("irq.watch")
    irq.sign_in(language="ar")
    irq.page.goto(url)
    irq.page.get_by_test_id("incident").get_by_role("button", name="تأكيد الاستلام").click()
    expect(irq.page.get_by_test_id("incident").locator("h1")).to_contain_text("مؤكَّد")
    tur.page.reload()
    expect(tur.page.get_by_test_id("incident").locator("h1")).to_contain_text("acknowledged")
    expect(tur.page.locator(".timeline-list")).to_contain_text("Huda Al-Namudhaji")
    irq.screenshot("incident-ar")


@pytest.mark.parametrize("language", ["en", "tr", "ar"])
def test_the_sitrep_period_is_chosen_and_the_pdf_follows_it(officer: OpenOfficer, language: str) -> None:
    """The SITREP was always the previous UTC day; now this shift, the last 12 or 24 hours or a chosen
    day, in the reader's language, and the PDF covers what was chosen."""
    o = officer("tur.watch")
    o.sign_in(language=language)
    o.go("/incidents")
    period = o.page.get_by_test_id("sitrep-period")
    link = o.page.get_by_test_id("sitrep")
    expect(link).to_have_attribute("href", "/api/sitrep.pdf")
    assert len(period.locator("option").all_inner_texts()) == 5
    period.select_option("12h")
    href = link.get_attribute("href") or ""
    found = re.fullmatch(r"/api/sitrep\.pdf\?from=(\S+Z)&until=(\S+Z)", href)
    assert found, href
    start, until = (datetime.fromisoformat(v.replace("Z", "+00:00")) for v in found.groups())
    assert abs((until - start) - timedelta(hours=12)) < timedelta(seconds=2)
    pdf = o.context.request.get(f"{o.base}{href}")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert f"sitrep-{start:%Y%m%d}.pdf" in pdf.headers["content-disposition"]
    period.select_option("shift")
    assert (link.get_attribute("href") or "").startswith("/api/sitrep.pdf?from=")
    period.select_option("day")
    o.page.locator(".sitrep-pick input[type=date]").fill("2026-11-30")
    expect(link).to_have_attribute("href", "/api/sitrep.pdf?date=2026-11-30")
