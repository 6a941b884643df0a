"""Administration beyond people (issue #25 item 9): protected sites and national activities, channels
and members, nations and their labels, incident categories and assignees. Each section offers only
what the reader's roles and nation allow (the server decides again), in the reader's language, and
fits the common widths."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Officer, Server

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]
TAB = {"en": "Sites and activities", "tr": "Tesisler ve faaliyetler", "ar": "المواقع والأنشطة"}


def csrf_headers(o: Officer) -> dict[str, str]:
    return {"X-CSRF-Token": next(c["value"] for c in o.context.cookies() if c["name"] == "concord_csrf")}


def test_a_nations_administrator_changes_its_labels_and_only_its_own(officer: OpenOfficer, server: Server) -> None:
    admin = officer("tur.admin")
    admin.sign_in(language="tr")
    admin.go("/admin/nations")
    table = admin.page.get_by_test_id("nations")
    expect(table.locator("tr[data-nation=IRQ]")).to_contain_text("سري")  # each nation's own words
    before = admin.context.request.get(f"{server.url}/api/nations").json()
    tur = next(n for n in before if n["code"] == "TUR")
    try:
        admin.page.get_by_test_id("nation-edit").click()
        form = admin.page.get_by_test_id("nation-form")
        form.locator("input[name=label-CONFIDENTIAL]").fill("ÖZEL (deneme)")
        form.get_by_role("button", name="Kaydet").click()
        expect(admin.page.get_by_test_id("nation-saved")).to_be_visible()
        expect(table.locator("tr[data-nation=TUR]")).to_contain_text("ÖZEL (deneme)")
        admin.screenshot("admin-nations-tr")
    finally:  # the other tests read the demo's labels on the banners
        restored = admin.context.request.put(f"{server.url}/api/nations/TUR", headers=csrf_headers(admin),
                                             data={"name": tur["name"], "labels": tur["labels"]})
        assert restored.status == 200, restored.text()

    irq = officer("irq.admin")
    irq.sign_in(language="ar")
    irq.go("/admin/nations")
    expect(irq.page.get_by_test_id("nation-edit")).to_have_text(re.compile("IRQ"))  # its own nation only
    expect(irq.page.get_by_test_id("nations").locator("tr[data-nation=TUR]")).to_contain_text("GİZLİ")
    refused = irq.context.request.put(f"{server.url}/api/nations/TUR", headers=csrf_headers(irq),
                                      data={"name": "x", "labels": {}})
    assert refused.status == 403


def test_staff_add_and_retire_their_own_sites_and_planners_notify_activities(officer: OpenOfficer) -> None:
    watch = officer("tur.watch")
    watch.sign_in(language="en")
    watch.go("/admin/sites")
    sites = watch.page.get_by_test_id("sites")
    clinic = sites.locator("tr", has_text="Demo Valley Clinic")
    expect(clinic).to_contain_text("IRQ")
    expect(clinic.get_by_role("button", name="Retire")).to_have_count(0)  # another nation's site
    expect(watch.page.get_by_test_id("activity-form")).to_have_count(0)  # planners notify activities

    form = watch.page.get_by_test_id("site-form")
    form.locator("select[name=kind]").select_option("school")
    form.locator("input[name=name]").fill("Demo border school (e2e)")
    expect(form.get_by_role("button", name="Add site")).to_be_disabled()  # no place picked yet
    form.get_by_test_id("site-map").click()  # scrolled into view, then its centre
    expect(form.get_by_test_id("picked-place")).to_be_visible()
    form.get_by_role("button", name="Add site").click()
    mine = sites.locator("tr", has_text="Demo border school (e2e)")
    expect(mine).to_contain_text("School")
    expect(mine).to_contain_text("TUR")
    mine.get_by_role("button", name="Retire").click()
    mine.get_by_label("Reason").fill("Moved (e2e)")
    mine.get_by_role("button", name="Retire").click()
    expect(mine).to_contain_text("Retired")

    planner = officer("tur.liaison")
    planner.sign_in(language="en")
    planner.go("/admin/sites")
    form = planner.page.get_by_test_id("activity-form")
    form.locator("input[name=name]").fill("Demo night exercise (e2e)")
    starts = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=20)
    form.locator("input[name=starts_at]").fill(starts.strftime("%Y-%m-%d %H:%M"))
    form.locator("input[name=ends_at]").fill("2026-02-30 10:00")  # no such day: the field says so
    assert form.locator("input[name=ends_at]").evaluate("el => el.validity.customError") is True
    form.locator("input[name=ends_at]").fill((starts + timedelta(hours=6)).strftime("%Y-%m-%d %H:%M"))
    planner.page.get_by_test_id("activity-map").scroll_into_view_if_needed()
    planner.page.get_by_test_id("draw-area").click()
    box = planner.page.get_by_test_id("activity-map").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-30, -30), (30, -30), (30, 30), (-30, 30)):
        planner.page.mouse.click(x + dx, y + dy)
    planner.page.keyboard.press("Enter")
    form.get_by_role("button", name="Notify").click()
    row = planner.page.get_by_test_id("activities").locator("tr", has_text="Demo night exercise (e2e)")
    expect(row).to_contain_text("Notified")
    expect(row).to_contain_text(starts.strftime("%H:%M"))  # 24-hour Zulu, never AM/PM
    row.get_by_role("button", name="Withdraw").click()
    expect(row).to_contain_text("Withdrawn")
    planner.screenshot("admin-sites-en")


def test_administrators_make_channels_and_planners_add_members(officer: OpenOfficer, server: Server) -> None:
    admin = officer("irq.admin")
    admin.sign_in(language="ar")
    admin.go("/admin/channels")
    form = admin.page.get_by_test_id("channel-form")
    form.locator("input[name=name]").fill("IRQ night desk (e2e)")
    form.get_by_role("button", name="إنشاء قناة").click()
    row = admin.page.get_by_test_id("channels").locator("tr", has_text="IRQ night desk (e2e)")
    expect(row).to_contain_text("وطنية")
    expect(row).to_contain_text("جميع أفراد IRQ")
    admin.screenshot("admin-channels-ar")

    planner = officer("tur.liaison")
    planner.sign_in(language="en")
    category = planner.context.request.get(f"{server.url}/api/incident-categories").json()[0]["code"]
    reported = planner.context.request.post(f"{server.url}/api/incidents", headers=csrf_headers(planner), data={
        "category": category, "title": "Channel members (e2e)",
        "location": {"type": "Point", "coordinates": [43.4, 37.1]},
        "occurred_from": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "marking": {"level": "RESTRICTED", "releasable_to": ["IRQ"]}, "partners": ["IRQ"]})
    assert reported.status == 201, reported.text()  # its channel opens with both nations' incident staff
    planner.go("/admin/channels")
    expect(planner.page.get_by_test_id("channel-form")).to_have_count(0)  # administrators create channels
    listed = planner.page.get_by_test_id("channels").locator("tr", has=planner.page.get_by_test_id("member-form"))
    first = listed.filter(has_text="Channel members (e2e)").first
    expect(first).to_be_visible()
    members = first.locator("ul.plain li").count()
    pick = first.get_by_test_id("member-form").locator("select")
    pick.select_option(index=1)
    first.get_by_role("button", name="Add member").click()
    expect(first.locator("ul.plain li")).to_have_count(members + 1)


def test_commanders_extend_the_categories_and_concerned_staff_assign(officer: OpenOfficer) -> None:
    commander = officer("tur.commander")
    commander.sign_in(language="tr")
    commander.go("/admin/incidents")
    form = commander.page.get_by_test_id("category-form")
    form.locator("input[name=code]").fill("drone_sighting_e2e")
    form.locator("input[name=name-en]").fill("Drone sighting")
    form.locator("input[name=name-tr]").fill("İHA görülmesi")
    form.get_by_role("button", name="Kategori ekle").click()
    row = commander.page.get_by_test_id("categories").locator("tr[data-code=drone_sighting_e2e]")
    expect(row).to_contain_text("İHA görülmesi")
    expect(row.locator("td").last).to_have_text("çevrilecek")  # no Arabic name yet: marked, not blank

    watch = officer("tur.watch")
    watch.sign_in(language="en")
    watch.go("/admin/incidents")
    expect(watch.page.get_by_test_id("category-form")).to_have_count(0)  # commanders only
    select = watch.page.get_by_test_id("assignee").first
    with watch.page.expect_response(lambda r: "/assignees/TUR" in r.url) as answer:
        select.select_option(label="Üsteğmen Arda Deneme (demo)")
    assert answer.value.status == 200
    watch.page.reload()
    expect(watch.page.get_by_test_id("assignee").first).to_have_value(re.compile(r"^\d+$"))
    chosen = watch.page.get_by_test_id("assignee").first.evaluate("s => s.selectedOptions[0].textContent")
    assert chosen == "Üsteğmen Arda Deneme (demo)"


@pytest.mark.parametrize(("language", "width"), [("ar", 1024), ("tr", 1024), ("en", 1366), ("ar", 1440),
                                                 ("tr", 1440), ("ar", 1920)])
def test_every_admin_section_fits(officer: OpenOfficer, language: str, width: int) -> None:
    o = officer("tur.liaison" if language != "ar" else "irq.liaison")
    o.page.set_viewport_size({"width": width, "height": 900})
    o.sign_in(language=language)
    o.go("/admin")
    expect(o.page.get_by_test_id("admin-tab-sites")).to_have_text(TAB[language])
    for section in ("sites", "channels", "nations", "incidents"):
        o.page.get_by_test_id(f"admin-tab-{section}").click()
        expect(o.page.get_by_test_id(f"admin-tab-{section}")).to_have_attribute("aria-selected", "true")
        o.page.wait_for_load_state("networkidle")
        scroll = o.page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"/admin/{section} overflows {width} px in {language}: {scroll}"
        if width in (1024, 1920):
            o.screenshot(f"admin-{section}-{language}-{width}")
    o.assert_no_console_errors()


@pytest.mark.parametrize(("who", "language"), [("tur.admin", "en"), ("irq.admin", "ar")])
def test_the_people_tab_fits_a_1024_screen_with_its_new_account_form(officer: OpenOfficer, who: str,
                                                                     language: str) -> None:
    o = officer(who)
    o.page.set_viewport_size({"width": 1024, "height": 900})
    o.sign_in(language=language)
    o.go("/admin")
    create = o.page.locator(".admin-layout form button[type=submit]")
    expect(create).to_be_visible()
    o.page.wait_for_load_state("networkidle")
    scroll = o.page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= 1024, f"/admin overflows 1024 px in {language}: {scroll}"
    box = create.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1024
