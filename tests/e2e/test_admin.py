"""Administration in the browser: each nation's administrator manages only its own people."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Officer

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]


def test_an_administrator_creates_and_appoints_own_people_only(officer: OpenOfficer) -> None:
    tur = officer("tur.admin")
    tur.sign_in(language="en")
    tur.go("/admin")
    people = tur.page.get_by_test_id("people")
    expect(people).to_contain_text("tur.commander")
    expect(people).not_to_contain_text("irq.")

    form = tur.page.get_by_role("form", name="New account")
    form.get_by_label("User name", exact=True).fill("tur.duty2")
    form.get_by_label("Name", exact=True).fill("Teğmen Ayşe Nöbet (demo)")
    form.get_by_role("button", name="Create account").click()
    expect(tur.page.get_by_test_id("new-password")).to_have_text(re.compile(r"^\S{12,}$"))
    row = people.locator("tr", has_text="tur.duty2")
    expect(row).to_contain_text("No appointments")

    row.get_by_role("button", name="+ Appoint").click()
    row.get_by_label("Role").select_option("watch_officer")
    row.get_by_role("button", name="Appoint", exact=True).click()
    expect(row.locator(".appointment.current")).to_contain_text("Watch officer")
    tur.screenshot("admin-en")

    irq = officer("irq.admin")
    irq.sign_in()
    irq.go("/admin")
    irq_people = irq.page.get_by_test_id("people")
    expect(irq_people).to_contain_text("irq.commander")
    expect(irq_people).not_to_contain_text("tur.")


@pytest.mark.parametrize("language", ["en", "tr", "ar"])
def test_other_roles_see_the_centres_directory_read_only(officer: OpenOfficer, language: str) -> None:
    """The People tab shows a non-administrator what they may see (every nation's people and their
    current roles) instead of only "administrators only"; nothing there changes anything."""
    watch = officer("irq.watch")
    watch.sign_in(language=language)
    watch.go("/admin")
    directory = watch.page.get_by_test_id("directory")
    expect(directory).to_contain_text("irq.commander")
    expect(directory).to_contain_text("tur.watch")  # the partner's people too: the directory is centre-wide
    expect(watch.page.get_by_test_id("people")).to_have_count(0)
    expect(watch.page.locator("main button.secondary")).to_have_count(0)  # no disable, reset, TAK buttons
    watch.screenshot(f"admin-directory-{language}")


def test_privileged_changes_wait_for_a_second_person_of_the_nation(officer: OpenOfficer) -> None:
    """The two-person rule in the browser: an administrator's appointment of a commander is sent for
    confirmation (and may be withdrawn); the commander sees what awaits a second person."""
    admin = officer("tur.admin")
    admin.sign_in(language="en")
    admin.go("/admin")
    row = admin.page.get_by_test_id("people").locator("tr", has=admin.page.get_by_text("tur.watch", exact=True))
    row.get_by_role("button", name="+ Appoint").click()
    row.get_by_label("Role").select_option("commander")
    row.get_by_role("button", name="Appoint", exact=True).click()
    expect(admin.page.get_by_test_id("sent-for-confirmation")).to_be_visible()
    pending = admin.page.get_by_test_id("privileged-requests")
    mine = pending.locator("li", has_text="to be appointed Commander")
    expect(mine).to_contain_text("Üsteğmen Arda Deneme (demo)")
    expect(mine.get_by_role("button", name="Confirm")).to_have_count(0)  # never one's own request
    admin.screenshot("admin-two-person-en")
    mine.get_by_role("button", name="Withdraw").click()
    expect(pending.locator("li", has_text="to be appointed Commander")).to_have_count(0)
    expect(row.locator(".appointment.current")).not_to_contain_text("Commander")

    commander = officer("tur.commander")
    commander.sign_in(language="tr")
    commander.go("/admin")
    waiting = commander.page.get_by_test_id("privileged-requests")
    expect(waiting).to_contain_text("Yüzbaşı Can Taslak (demo)")  # the demo's pending request
    expect(waiting.get_by_role("button", name="Onayla")).to_have_count(1)
