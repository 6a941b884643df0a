"""The peers page (issue 17 item 1) on `concord demo --federated`: an administrator reads the node's own
fingerprints, sees each peer's link agreed and up to date, removes a peer (whose side then waits for
consent) and adds it back with the key its administrator gave; in English, Turkish and Arabic, at 1024
and 1440 px. Someone who is not an administrator is offered no peers section, and the server refuses."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Officer, close_officers
from tests.e2e.conftest import open_officer as open_browser_officer
from tests.integration.test_demo_federated import PASSWORD, client, federated_demo

pytestmark = pytest.mark.e2e
STATE_UP = {"en": "Both agreed, up to date", "tr": "İki taraf onayladı, güncel", "ar": "وافق الطرفان، محدَّث"}
TAB = {"en": "Peer nodes", "tr": "Eş düğümler", "ar": "العُقد النظيرة"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with federated_demo(tmp_path_factory.mktemp("federated-demo")) as (_process, urls):
        yield urls


@pytest.fixture
def open_officer(browser: Browser) -> Iterator[object]:
    opened: list[Officer] = []

    def open_for(base: str, username: str, width: int = 1440) -> Officer:
        o = open_browser_officer(browser, username, base, viewport={"width": width, "height": 900})
        opened.append(o)
        return o

    yield open_for
    close_officers(opened)


def node_of(url: str, nation: str) -> dict[str, str]:
    api = client(url, f"{nation.lower()}.admin")
    try:
        return dict(api.get("/api/node").json())
    finally:
        api.close()


@pytest.mark.parametrize("language", ["en", "tr", "ar"])
@pytest.mark.parametrize("width", [1024, 1440])
def test_an_administrator_reads_the_nodes_identity_and_each_link(demo: dict[str, str], open_officer: object,
                                                                   language: str, width: int) -> None:
    admin: Officer = open_officer(demo["TUR"], "tur.admin", width)  # type: ignore[operator]
    admin.sign_in(PASSWORD, language=language)
    admin.go("/admin")
    admin.page.get_by_test_id("admin-tab-peers").click()
    expect(admin.page.get_by_test_id("admin-tab-peers")).to_have_text(TAB[language])
    own = node_of(demo["TUR"], "TUR")
    expect(admin.page.get_by_test_id("own-fingerprint")).to_have_text(own["fingerprint"])
    expect(admin.page.get_by_test_id("own-certificate")).to_have_text(own["tls_fingerprint"])
    peers = admin.page.get_by_test_id("peers")
    for name, nation in (("irq-node", "IRQ"), ("jor-node", "JOR")):
        row = peers.locator("tr", has_text=name)
        expect(row.get_by_test_id("link-state")).to_have_attribute("data-state", "up")
        expect(row.get_by_test_id("link-state")).to_have_text(STATE_UP[language])
        expect(row).to_contain_text(node_of(demo[nation], nation)["fingerprint"])
        expect(row.get_by_test_id("behind")).to_be_visible()
    assert admin.page.evaluate("document.documentElement.dir") == ("rtl" if language == "ar" else "ltr")
    # the page fits: a wide table scrolls inside its box, the screen itself never scrolls sideways
    assert admin.page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    admin.screenshot(f"peers-{language}-{width}")


def test_a_removed_peer_waits_for_consent_until_added_back(demo: dict[str, str], open_officer: object) -> None:
    tur: Officer = open_officer(demo["TUR"], "tur.admin")  # type: ignore[operator]
    jor: Officer = open_officer(demo["JOR"], "jor.admin")  # type: ignore[operator]
    tur.sign_in(PASSWORD, language="en")
    jor.sign_in(PASSWORD, language="ar")
    tur.go("/admin/peers")
    jor.go("/admin/peers")
    jor_on_tur = tur.page.get_by_test_id("peers").locator("tr", has_text="jor-node")
    tur_on_jor = jor.page.get_by_test_id("peers").locator("tr", has_text="tur-node")
    expect(tur_on_jor.get_by_test_id("link-state")).to_have_attribute("data-state", "up")

    # TUR's administrator removes JOR's node: cut at once; JOR's node is refused from its next pull.
    jor_on_tur.get_by_role("button", name="Remove").click()
    tur.page.get_by_role("button", name="Remove and cut").click()
    expect(jor_on_tur).to_have_count(0)
    expect(tur_on_jor.get_by_test_id("link-state")).to_have_attribute("data-state", "awaiting_consent",
                                                                      timeout=30_000)
    expect(tur_on_jor.get_by_test_id("link-state")).to_have_text("بانتظار موافقة النظير")
    jor.screenshot("peers-awaiting-consent-ar")

    # TUR's administrator adds it back with the key JOR's administrator reads from JOR's page.
    jor_key = jor.page.get_by_test_id("own-key").inner_text()
    form = tur.page.get_by_test_id("peer-form")
    form.locator("input[name=name]").fill("jor-node")
    form.locator("select[name=nation]").select_option("JOR")
    form.locator("input[name=url]").fill(demo["JOR"])
    form.locator("input[name=key]").fill(jor_key)
    form.locator("select[name=level]").select_option("SECRET")
    tur.screenshot("peers-add-en")
    form.get_by_role("button", name="Add peer").click()
    expect(jor_on_tur).to_have_count(1)
    expect(tur_on_jor.get_by_test_id("link-state")).to_have_attribute("data-state", "up", timeout=30_000)


def test_others_are_offered_no_peers_section_and_the_server_refuses(demo: dict[str, str],
                                                                     open_officer: object) -> None:
    analyst: Officer = open_officer(demo["IRQ"], "irq.analyst")  # type: ignore[operator]
    analyst.sign_in(PASSWORD, language="tr")
    analyst.go("/admin")
    expect(analyst.page.get_by_test_id("admin-tab-people")).to_be_visible()
    expect(analyst.page.get_by_test_id("admin-tab-peers")).to_have_count(0)
    analyst.go("/admin/peers")
    expect(analyst.page.get_by_test_id("peers-refused")).to_have_text(
        "Eş düğümleri bu düğümün ülkesinin yöneticileri yönetir.")
    expect(analyst.page.get_by_test_id("node-identity")).to_have_count(0)
    analyst.forgive("403")
    while any("403" in e for e in analyst.errors):  # the page asks for the node and its peers: both refused
        analyst.forgive("403")
    token = client(demo["IRQ"], "irq.analyst")
    assert token.get("/api/peers").status_code == 403
    token.close()
    assert httpx.get(f"{demo['IRQ']}/api/peers").status_code == 401
