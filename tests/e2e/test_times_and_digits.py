"""Times and digits (issue #25 item 7): one digit rule per language (Latin digits in Arabic too, the
digits of its coordinates, MGRS and DTGs), 24-hour Zulu everywhere, and times typed as ISO 8601 in a
text field, since Chromium's native datetime-local shows AM/PM after the operating system's locale."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Officer

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]
EASTERN_DIGITS = re.compile(r"[\u0660-\u0669\u06f0-\u06f9]")
AM_PM = re.compile(r"\b(AM|PM)\b|ÖÖ|ÖS|\d\s?[صم]\b")
INVALID = {"en": "Write a UTC time as YYYY-MM-DD HH:MM (24-hour)",
           "tr": "UTC saatini YYYY-AA-GG SS:DD biçiminde yazın (24 saat)",
           "ar": "اكتب الوقت العالمي بالصيغة YYYY-MM-DD HH:MM (نظام 24 ساعة)"}


@pytest.mark.parametrize(("language", "width"), [("en", 1366), ("tr", 1440), ("ar", 1024), ("ar", 1920)])
def test_times_are_24_hour_in_one_digit_set_and_typed_as_iso(officer: OpenOfficer, language: str,
                                                             width: int) -> None:
    o = officer("tur.liaison")
    o.page.set_viewport_size({"width": width, "height": 900})
    o.sign_in(language=language)
    o.go("/admin/sites")
    expect(o.page.get_by_test_id("activities")).to_contain_text("Demo national reconnaissance flight")
    expect(o.page.locator(".clock .zulu")).to_have_text(re.compile(r"^\d{2}:\d{2}:\d{2}Z$"))
    text = o.page.locator("body").inner_text()
    assert not EASTERN_DIGITS.search(text), "dates, times and counts use the digits of the coordinates"
    assert not AM_PM.search(text), "times are 24-hour"
    window = o.page.get_by_test_id("activities").locator("tr", has_text="Demo national reconnaissance flight")
    expect(window.locator("td").nth(2)).to_contain_text(re.compile(r"\d{2}:\d{2}Z.*\d{2}:\d{2}Z"))

    assert o.page.locator("input[type=datetime-local]").count() == 0
    starts = o.page.get_by_test_id("activity-form").locator("input[name=starts_at]")
    expect(starts).to_have_attribute("placeholder", "YYYY-MM-DD HH:MM")
    starts.fill("2026-12-07 02:30 PM")
    assert starts.evaluate("el => el.validationMessage") == INVALID[language]
    starts.fill("٢٠٢٦-١٢-٠٧ ١٤:٣٠")  # typed on an Arabic keyboard: read as 14:30, shown in Latin digits
    assert starts.evaluate("el => el.validity.valid") is True
    expect(starts).to_have_value("2026-12-07 14:30")
    o.screenshot(f"times-{language}-{width}")
