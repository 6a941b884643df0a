"""The interface shell in a real browser: sign-in, who-am-I, banners in national labels, languages."""

from __future__ import annotations

import time
from collections.abc import Callable

import pyotp
import pytest
from playwright.sync_api import Browser, Route, expect

from concord.domain.nations import DEFAULT_LABELS
from tests.e2e.conftest import DEMO_PASSWORD, Officer, Server

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]


def assert_banner_in_labels(o: Officer, nation: str) -> None:
    """Both banners name the highest level on screen in the reader's own national label."""
    o.page.wait_for_load_state("networkidle")
    for position in ("top", "bottom"):
        # Level and text read together: the banner follows what is on screen as layers load.
        level, text = o.page.get_by_test_id(f"banner-{position}").evaluate("b => [b.dataset.level, b.innerText]")
        assert level in DEFAULT_LABELS[nation]
        assert text.startswith(DEFAULT_LABELS[nation][level]), text


def create_officer(admin: Officer, server: Server, username: str, name: str, language: str,
                   nation: str = "TUR") -> None:
    """A fresh account (with its own saved language) made by its nation's administrator, through the API:
    a test that relies on a saved language owns its account, whatever other tests choose for theirs."""
    admin.sign_in()
    csrf = next(c["value"] for c in admin.context.cookies() if c["name"] == "concord_csrf")
    headers = {"X-CSRF-Token": csrf}
    made = admin.context.request.post(f"{server.url}/api/people", headers=headers, data={
        "username": username, "display_name": name, "nation": nation, "clearance": "SECRET",
        "password": DEMO_PASSWORD, "language": language})
    assert made.status == 201, made.text()
    person_id = made.json()["person"]["id"]
    appointed = admin.context.request.post(f"{server.url}/api/appointments", headers=headers,
                                           data={"person_id": person_id, "role": "watch_officer"})
    assert appointed.status == 201, appointed.text()


def test_a_turkish_officer_signs_in_and_sees_who_they_are(officer: OpenOfficer, server: Server) -> None:
    create_officer(officer("tur.admin"), server, "tur.watch2", "Teğmen Deniz Nöbetçi (demo)", "tr")
    tur = officer("tur.watch2")
    tur.go("/")
    expect(tur.page).to_have_url(f"{tur.base}/signin")
    tur.screenshot("signin")
    tur.sign_in()
    expect(tur.page).to_have_url(f"{tur.base}/map")
    who = tur.page.get_by_test_id("who")
    expect(who).to_contain_text("Teğmen Deniz Nöbetçi")
    expect(who).to_contain_text("TUR")
    # The account prefers Turkish: the interface and the banner speak it.
    expect(tur.page.locator("html")).to_have_attribute("lang", "tr")
    expect(who).to_contain_text("Nöbetçi subay")
    tur.page.wait_for_timeout(1500)  # the layers load and register their markings
    assert_banner_in_labels(tur, "TUR")
    expect(tur.page.locator(".clock .zulu")).to_contain_text("Z")
    tur.screenshot("map-tr")


def test_arabic_renders_right_to_left_with_the_map_controls_mirrored(officer: OpenOfficer, server: Server) -> None:
    # Its own account, saved in Arabic: irq.watch's saved language is whatever the last test chose.
    create_officer(officer("irq.admin"), server, "irq.watch3", "ملازم سارة المراقبة (demo)", "ar", nation="IRQ")
    irq = officer("irq.watch3")
    irq.sign_in()
    html = irq.page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    irq.page.wait_for_timeout(1500)
    assert_banner_in_labels(irq, "IRQ")
    width = irq.page.viewport_size["width"] if irq.page.viewport_size else 1366
    zoom = irq.page.locator(".leaflet-control-zoom").bounding_box()
    layers = irq.page.get_by_test_id("layer-panel").bounding_box()
    assert zoom is not None and layers is not None
    assert zoom["x"] < width / 2, "the zoom control moves to the left in Arabic"
    assert layers["x"] > width / 2, "the layer list moves to the right in Arabic"
    nav = irq.page.locator(".main-nav").bounding_box()
    brand = irq.page.locator(".brand").bounding_box()
    assert nav is not None and brand is not None and brand["x"] > nav["x"], "the brand sits at the right"
    irq.page.wait_for_timeout(1500)
    irq.screenshot("map-ar")


def test_switching_language_keeps_the_page(officer: OpenOfficer) -> None:
    admin = officer("tur.admin")
    admin.sign_in()
    admin.go("/admin")
    expect(admin.page.get_by_test_id("people")).to_be_visible()
    admin.page.select_option("select.lang", "en")
    expect(admin.page).to_have_url(f"{admin.base}/admin")
    expect(admin.page.locator("html")).to_have_attribute("dir", "ltr")
    expect(admin.page.locator("h1")).to_contain_text("Administration")
    admin.page.select_option("select.lang", "ar")
    expect(admin.page).to_have_url(f"{admin.base}/admin")
    expect(admin.page.locator("html")).to_have_attribute("dir", "rtl")
    expect(admin.page.locator("h1")).to_contain_text("الإدارة")
    # The choice is saved for the person: a new console opens in the same language.
    admin.page.reload()
    expect(admin.page.locator("html")).to_have_attribute("lang", "ar")
    admin.page.select_option("select.lang", "tr")


def test_sign_in_asks_for_the_code_only_when_totp_is_on(officer: OpenOfficer, server: Server) -> None:
    analyst = officer("irq.analyst")
    # In Arabic by choice, not by whatever language irq.analyst's last test saved (two other files
    # sign it in in Arabic and in Turkish): the sign-out button is found by its Arabic name.
    analyst.sign_in(language="ar")
    # Turn TOTP on through the API with the page's own session (cookie + CSRF header).
    request = analyst.context.request
    csrf = next(c["value"] for c in analyst.context.cookies() if c["name"] == "concord_csrf")
    started = request.post(f"{server.url}/api/me/totp", headers={"X-CSRF-Token": csrf}).json()
    totp = pyotp.TOTP(started["secret"])
    confirmed = request.post(f"{server.url}/api/me/totp/confirm", headers={"X-CSRF-Token": csrf},
                             data={"password": DEMO_PASSWORD, "secret": started["secret"], "code": totp.now()})
    assert confirmed.status == 204
    analyst.page.get_by_role("button", name="تسجيل الخروج").click()
    expect(analyst.page.locator("input[name=username]")).to_be_visible()

    analyst.page.fill("input[name=username]", "irq.analyst")
    analyst.page.fill("input[name=password]", DEMO_PASSWORD)
    analyst.page.click("button[type=submit]")
    code = analyst.page.locator("input[name=totp]")
    expect(code).to_be_visible()
    analyst.forgive("status of 401")  # the server's "code required" answer to the password alone
    analyst.screenshot("signin-totp-ar")
    # Each code is accepted once: the enrolment spent this time step's, so sign in with the next
    # step's (one step of clock drift either way is accepted).
    code.fill(totp.at(time.time() + totp.interval))
    analyst.page.click("button[type=submit]")
    expect(analyst.page.get_by_test_id("who")).to_contain_text("Omar Al-Tajribi")


def test_signing_out_leaves_the_screens_before_the_server_answers(officer: OpenOfficer) -> None:
    """The screens go (and with them everything they would still load) the moment one signs out, not
    when the server has ended the session: a screen's request started in between would come back
    refused (a race a slow machine once showed: the live stream's first welcome reloading the map)."""
    o = officer("irq.watch")  # not irq.analyst: another test turns TOTP on for that account
    o.sign_in(language="en")
    o.page.wait_for_load_state("networkidle")
    held: list[Route] = []
    o.page.route("**/api/session", lambda route: held.append(route) if route.request.method == "DELETE"
                 else route.continue_())
    asked: list[str] = []
    o.page.on("request", lambda r: asked.append(f"{r.method} {r.url}") if "/api/" in r.url else None)

    o.page.get_by_role("button", name="Sign out").click()
    expect(o.page.locator("input[name=username]")).to_be_visible()  # the server has not answered yet
    assert len(held) == 1
    held[0].continue_()
    o.page.wait_for_load_state("networkidle")
    assert [a for a in asked if "/api/session" not in a] == []


SCREENS = ["/map", "/intel", "/operations", "/incidents", "/releases", "/chat", "/audit", "/admin"]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_every_screen_fits_a_1366_wide_console_without_sideways_scrolling(officer: OpenOfficer, language: str) -> None:
    o = officer("irq.liaison")
    o.sign_in(language=language)
    for path in SCREENS:
        o.go(path)
        o.page.wait_for_load_state("networkidle")
        overflow = o.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} in {language} is {overflow}px wider than the window"
        # Both banners are always there, whatever the screen.
        expect(o.page.get_by_test_id("banner-top")).to_be_visible()
        expect(o.page.get_by_test_id("banner-bottom")).to_be_in_viewport()


def test_the_operating_picture_on_a_wall_screen(browser: Browser, server: Server) -> None:
    context = browser.new_context(viewport={"width": 2560, "height": 1440}, locale="en-GB")
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server.url}/signin")
        page.fill("input[name=username]", "tur.watch")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        map_box = page.get_by_test_id("map").bounding_box()
        assert map_box is not None and map_box["width"] >= 2500 and map_box["height"] >= 1250
        expect(page.get_by_test_id("banner-bottom")).to_be_in_viewport()
        assert errors == []
    finally:
        context.close()


WIDTHS = (1024, 1366, 1440, 1536, 1920)
TABS = """() => [...document.querySelectorAll("[data-testid=main-nav] > a")].map((a) => {
    const r = a.getBoundingClientRect();
    return {href: a.getAttribute("href"), cut: a.scrollWidth > a.clientWidth + 1, left: r.left, right: r.right};
})"""


def settled_tabs(o: Officer) -> list[dict[str, object]]:
    """The header's tabs once it has measured itself for the window's new width (two reads alike)."""
    last: list[dict[str, object]] = []
    for _ in range(20):
        o.page.wait_for_timeout(100)
        now: list[dict[str, object]] = o.page.evaluate(TABS)
        if now == last:
            return now
        last = now
    raise AssertionError("the navigation kept changing")


@pytest.mark.parametrize(("username", "language"), [("tur.admin", "tr"), ("irq.admin", "ar"), ("tur.admin", "en")])
def test_every_navigation_item_is_reachable_at_common_widths(officer: OpenOfficer, username: str,
                                                             language: str) -> None:
    """At 1024 to 1920 px, in every language, no screen's name is cut off or hidden: the tabs that do
    not fit the header go into a "More" menu (at 1400-1536 px Turkish showed Audit as "De…" and hid
    Administration; Arabic hid both)."""
    o = officer(username)
    o.sign_in(language=language)
    expect(o.page.locator("html")).to_have_attribute("lang", language)
    nav = o.page.get_by_test_id("main-nav")
    for width in WIDTHS:
        o.page.set_viewport_size({"width": width, "height": 800})
        shown = settled_tabs(o)
        assert all(not t["cut"] for t in shown), f"a tab is cut off at {width} px in {language}: {shown}"
        room = nav.evaluate("n => { const r = n.getBoundingClientRect(); return [r.left, r.right]; }")
        assert all(room[0] - 1 <= t["left"] and t["right"] <= room[1] + 1 for t in shown), \
            f"a tab overflows the navigation at {width} px in {language}"
        right = o.page.locator(".header-right").bounding_box()
        box = nav.bounding_box()
        assert right is not None and box is not None
        # The navigation and the header's right-hand side (clock, who, language) do not overlap.
        assert box["x"] + box["width"] <= right["x"] + 1 or right["x"] + right["width"] <= box["x"] + 1, width
        hrefs = [t["href"] for t in shown]
        if len(hrefs) < len(SCREENS):
            more = nav.get_by_test_id("nav-more")
            expect(more).to_be_visible()
            more.click()
            menu = nav.get_by_test_id("nav-menu")
            expect(menu).to_be_visible()
            # Tabs and menu read together (the header may re-measure itself in between).
            hrefs = o.page.evaluate("""() => [...document.querySelectorAll(
                "[data-testid=main-nav] > a, [data-testid=nav-menu] a")].map((a) => a.getAttribute("href"))""")
            o.page.keyboard.press("Escape")
            expect(menu).to_have_count(0)
        else:
            expect(nav.get_by_test_id("nav-more")).to_have_count(0)
        assert sorted(hrefs) == sorted(SCREENS), f"at {width} px in {language}: {hrefs}"
        if width == 1024:
            # Who one is stays in the header at the narrowest width.
            expect(o.page.locator(".who-name")).to_be_visible()
            o.screenshot(f"header-1024-{language}")
    # A screen in the menu opens from it, and the menu then shows which one is open.
    o.page.set_viewport_size({"width": 1024, "height": 800})
    settled_tabs(o)
    nav.get_by_test_id("nav-more").click()
    nav.get_by_test_id("nav-menu").get_by_role("menuitem").last.click()
    expect(o.page).to_have_url(f"{o.base}/admin")
    expect(nav.get_by_test_id("nav-more")).to_have_class("active")
    o.assert_no_console_errors()


def test_the_sign_in_page_offers_the_three_languages(officer: OpenOfficer) -> None:
    """Someone at a console left in another language can switch before signing in."""
    o = officer("tur.watch")
    o.go("/signin")
    chooser = o.page.locator("select[name=signin-lang]")
    for language, title, direction in (("ar", "تسجيل الدخول", "rtl"), ("tr", "Giriş", "ltr"),
                                       ("en", "Sign in", "ltr")):
        chooser.select_option(language)
        expect(o.page.locator("html")).to_have_attribute("lang", language)
        expect(o.page.locator("html")).to_have_attribute("dir", direction)
        expect(o.page.locator("#signin-title")).to_have_text(title)
        if language == "ar":
            o.screenshot("signin-ar")


def test_the_watch_turns_the_alarm_sound_on_and_sees_whether_it_is(officer: OpenOfficer) -> None:
    """Browsers keep sound off until the first click after a reload: the header says so, and one
    click ("Start watch") turns the FLASH alarm on."""
    o = officer("tur.watch")
    o.sign_in(language="tr")
    sound = o.page.get_by_test_id("sound")
    expect(sound).to_have_attribute("data-sound", "off")
    expect(sound).to_contain_text("Ses kapalı")
    sound.click()
    expect(sound).to_have_attribute("data-sound", "on")
    expect(sound).to_have_attribute("title", "FLASH alarm sesi açık")
    o.page.reload()
    expect(o.page.get_by_test_id("sound")).to_have_attribute("data-sound", "off")
