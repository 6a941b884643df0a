"""One's own account in the browser: set up a second factor (TOTP) and sign in with it, turn it off,
and sign out of the other sessions while this one stays. A fresh account keeps the demo's people
as the other tests expect them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD, Officer

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]
PASSWORD = "e2e-account-password-7"


def fresh_account(officer: OpenOfficer) -> str:
    admin = officer("irq.admin")
    admin.sign_in(DEMO_PASSWORD)
    username = f"irq.acct{uuid.uuid4().hex[:6]}"
    csrf = next(c["value"] for c in admin.context.cookies() if c["name"] == "concord_csrf")
    made = admin.context.request.post(f"{admin.base}/api/people", headers={"X-CSRF-Token": csrf}, data={
        "username": username, "display_name": "Lieutenant Test Account (demo)", "nation": "IRQ",
        "clearance": "RESTRICTED", "password": PASSWORD, "language": "ar"})
    assert made.status == 201, made.text()
    # An account works once appointed (an observer reads, changes nothing).
    appointed = admin.context.request.post(f"{admin.base}/api/appointments", headers={"X-CSRF-Token": csrf},
                                           data={"person_id": made.json()["person"]["id"], "role": "observer"})
    assert appointed.status == 201, appointed.text()
    return username


def test_a_second_factor_is_set_up_used_and_turned_off(officer: OpenOfficer) -> None:
    username = fresh_account(officer)
    me = officer(username)
    me.sign_in(PASSWORD, language="ar")
    me.page.get_by_test_id("account-link").click()
    totp = me.page.get_by_test_id("account-totp")
    expect(totp.get_by_test_id("totp-state")).to_contain_text("غير مفعّل")
    totp.get_by_test_id("totp-start").click()
    secret = totp.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    totp.locator("input[name=password]").fill(PASSWORD)
    totp.locator("input[name=code]").fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    totp.get_by_test_id("totp-confirm").click()
    expect(totp.locator(".form-error")).to_be_visible()   # a wrong code is refused, nothing changes
    me.forgive("422")
    totp.locator("input[name=code]").fill(pyotp.TOTP(secret).now())
    totp.get_by_test_id("totp-confirm").click()
    expect(totp.get_by_test_id("totp-state")).to_contain_text("مفعّل")
    me.screenshot("account-totp-ar")

    # The next sign-in asks for the code: a later one (a code is good once, and the one just used is spent).
    used = pyotp.TOTP(secret).timecode(datetime.now(UTC))
    while pyotp.TOTP(secret).timecode(datetime.now(UTC)) == used:
        time.sleep(0.5)
    again = officer(username)
    again.go("/signin")
    again.page.fill("input[name=username]", username)
    again.page.fill("input[name=password]", PASSWORD)
    again.page.click("button[type=submit]")
    again.page.fill("input[name=totp]", pyotp.TOTP(secret).now())
    again.page.click("button[type=submit]")
    expect(again.page.get_by_test_id("who")).to_be_visible()
    again.forgive("401")   # the password alone is answered "code required"

    # Turned off with the password.
    again.go("/account")
    box = again.page.get_by_test_id("account-totp")
    box.locator("input[name=password]").fill(PASSWORD)
    box.get_by_test_id("totp-off").click()
    expect(box.get_by_test_id("totp-state")).to_contain_text("غير مفعّل")
    again.assert_no_console_errors()


def test_signing_out_of_the_other_sessions_keeps_this_one(officer: OpenOfficer) -> None:
    username = fresh_account(officer)
    elsewhere = officer(username)
    elsewhere.sign_in(PASSWORD, language="tr")
    here = officer(username)
    here.sign_in(PASSWORD, language="tr")
    here.go("/account")
    here.page.get_by_test_id("sign-out-elsewhere").click()
    expect(here.page.get_by_test_id("signed-out-elsewhere")).to_contain_text("1 diğer oturum")
    here.page.reload()
    expect(here.page.get_by_test_id("account")).to_be_visible()     # still signed in here
    elsewhere.go("/map")
    expect(elsewhere.page.locator("input[name=username]")).to_be_visible()   # signed out there
    # Its session is refused, as meant (by as many calls as were in flight).
    elsewhere.errors[:] = [e for e in elsewhere.errors if "status of 401" not in e]
    here.assert_no_console_errors()
