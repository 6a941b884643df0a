"""An administrator enrols a person's TAK device in the browser: the data package and its password
are given once (the package downloads as a zip ATAK imports), the device is listed, and revoking it
shows at once. Only the nation's own people are offered."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Officer

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]


def open_devices(o: Officer, username: str) -> None:
    o.go("/admin")
    row = o.page.get_by_test_id("people").locator("tr", has=o.page.get_by_text(username, exact=True))
    row.get_by_test_id("tak-open").click()
    expect(o.page.get_by_test_id("tak-devices")).to_be_visible()


def test_an_administrator_enrols_downloads_and_revokes_a_tak_device(officer: OpenOfficer) -> None:
    admin = officer("tur.admin")
    admin.sign_in(language="en")
    open_devices(admin, "tur.watch")
    panel = admin.page.get_by_test_id("tak-devices")
    before = panel.get_by_test_id("tak-device").count()
    panel.get_by_test_id("tak-enrol").click()
    issued = panel.get_by_test_id("tak-issued")
    expect(issued.get_by_test_id("tak-password")).to_have_text(re.compile(r"^\S{12,}$"))
    expect(panel.get_by_test_id("tak-device")).to_have_count(before + 1)
    with admin.page.expect_download() as download:
        issued.get_by_test_id("tak-package").click()
    path = download.value.path()
    assert download.value.suggested_filename == "tur.watch-concord.zip"
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as package:
        names = package.namelist()
    assert "MANIFEST/manifest.xml" in names and "certs/tur.watch.p12" in names
    admin.screenshot("admin-tak-enrolled-en")

    device = panel.locator("[data-testid=tak-device][data-revoked=false]").last
    device.get_by_test_id("tak-revoke").click()
    expect(panel.locator("[data-testid=tak-device][data-revoked=true]")).to_have_count(1)
    expect(panel).to_contain_text("Revoked")
    admin.assert_no_console_errors()


@pytest.mark.parametrize("width", [1024, 1366, 1440, 1920])
def test_the_devices_panel_fits_in_arabic(officer: OpenOfficer, width: int) -> None:
    admin = officer("irq.admin")
    admin.page.set_viewport_size({"width": width, "height": 900})
    admin.sign_in(language="ar")
    open_devices(admin, "irq.watch")
    panel = admin.page.get_by_test_id("tak-devices")
    expect(panel).to_contain_text("أجهزة TAK")
    panel.get_by_test_id("tak-enrol").click()
    expect(panel.get_by_test_id("tak-issued")).to_contain_text("تم تسجيل الجهاز")
    scroll = admin.page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the admin page overflows {width} px: {scroll}"
    box = panel.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    admin.screenshot(f"admin-tak-enrol-ar-{width}")
    admin.assert_no_console_errors()
