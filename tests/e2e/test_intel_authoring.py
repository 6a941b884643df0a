"""Intelligence authored in the browser: an indicator, an observable, an attack pattern and a threat
actor, each placed on the map (nothing prefilled); the detail page shows the place and the author;
the originator narrows the release (the partner loses it at once) and revokes; a STIX bundle goes in
from a file and comes out as an export; correlations across nations are listed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, expect

from tests.e2e.conftest import Officer

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]


def publish_form(o: Officer) -> Locator:
    o.go("/intel")
    form = o.page.locator("form.publish")
    expect(form).to_be_visible()
    return form


def pick_place(form: Locator, name: str) -> None:
    expect(form.get_by_test_id("picked-place")).to_have_count(0)   # nothing prefilled
    form.get_by_test_id("intel-place-map").click()
    expect(form.get_by_test_id("picked-place")).to_contain_text("°")
    form.locator("input[name=place]").fill(name)


def test_an_indicator_is_placed_narrowed_and_revoked_by_its_originator(officer: OpenOfficer) -> None:
    tur = officer("tur.analyst")
    tur.sign_in(language="en")
    form = publish_form(tur)
    form.locator("select[name=kind]").select_option("indicator")
    form.locator("input[name=name]").fill("Beacon host near the ford (demo)")
    form.locator("input[name=pattern]").fill("[ipv4-addr:value = '198.51.100.77']")
    form.locator("textarea[name=description]").fill("Seen beaconing at night (exercise).")
    pick_place(form, "North ford (demo)")
    form.get_by_test_id("release-all").click()
    form.get_by_test_id("publish").click()
    detail = tur.page.get_by_test_id("intel-detail")
    expect(detail).to_contain_text("Beacon host near the ford (demo)")
    expect(detail.get_by_test_id("intel-author")).to_have_text("Yüzbaşı Can Taslak (demo)")
    expect(detail.get_by_test_id("intel-places")).to_contain_text("North ford (demo)")
    expect(detail.get_by_test_id("intel-detail-map").locator("path.leaflet-interactive")).to_have_count(1)
    expect(detail).to_contain_text("[ipv4-addr:value = '198.51.100.77']")
    tur.screenshot("intel-indicator-en")
    url = tur.page.url

    irq = officer("irq.analyst")
    irq.sign_in(language="ar")
    irq.page.goto(url)
    expect(irq.page.get_by_test_id("intel-detail")).to_contain_text("Beacon host near the ford (demo)")
    expect(irq.page.get_by_test_id("intel-author")).to_have_text("Yüzbaşı Can Taslak (demo)")
    expect(irq.page.get_by_test_id("intel-ownership")).to_have_count(0)   # only the originator changes it
    irq.screenshot("intel-indicator-ar")

    # TUR narrows the release to itself: IRQ's next look finds nothing, as for an absent object.
    ownership = tur.page.get_by_test_id("intel-ownership")
    ownership.locator("input[name=rel-IRQ]").uncheck()
    ownership.get_by_test_id("save-release").click()
    expect(ownership).to_contain_text("Release changed.")
    expect(tur.page.get_by_test_id("banner-top")).to_contain_text("TUR ONLY")
    irq.page.reload()
    expect(irq.page.locator(".form-error")).to_be_visible()
    assert "Beacon host" not in irq.page.content()
    irq.forgive("404")

    ownership.get_by_test_id("revoke").click()
    ownership.get_by_test_id("confirm-revoke").click()
    expect(tur.page.get_by_test_id("revoked")).to_be_visible()
    irq.assert_no_console_errors()
    tur.assert_no_console_errors()


def test_every_kind_can_be_authored_and_a_bad_pattern_names_the_field(officer: OpenOfficer) -> None:
    irq = officer("irq.analyst")
    irq.sign_in(language="tr")
    form = publish_form(irq)
    form.locator("select[name=kind]").select_option("indicator")
    form.locator("input[name=name]").fill("Broken pattern")
    form.locator("input[name=pattern]").fill("[ipv4-addr:value = ")
    form.get_by_test_id("publish").click()
    expect(form.locator(".form-error")).to_have_text("“STIX örüntüsü” alanını denetleyin.")
    irq.forgive("422")

    form.locator("select[name=kind]").select_option("observable")
    form.locator("select[name=observable_type]").select_option("domain-name")
    form.locator("input[name=observable_value]").fill("relay.example.org")
    form.get_by_test_id("publish").click()
    expect(irq.page.get_by_test_id("intel-detail")).to_contain_text("relay.example.org")
    expect(irq.page.get_by_test_id("intel-no-place")).to_be_visible()

    form = publish_form(irq)
    form.locator("select[name=kind]").select_option("attack-pattern")
    form.locator("input[name=name]").fill("Night river crossing (demo)")
    form.locator("input[name=external_id]").fill("T1190")
    form.get_by_test_id("publish").click()
    expect(irq.page.get_by_test_id("intel-detail")).to_contain_text("T1190")

    irq.page.select_option("select.lang", "ar")
    form = publish_form(irq)
    form.locator("select[name=kind]").select_option("threat-actor")
    form.locator("input[name=name]").fill("شبكة تهريب وهمية (تجريبي)")
    pick_place(form, "معبر وهمي")
    form.get_by_test_id("publish").click()
    detail = irq.page.get_by_test_id("intel-detail")
    expect(detail).to_contain_text("شبكة تهريب وهمية")
    expect(detail.get_by_test_id("intel-places")).to_contain_text("معبر وهمي")
    expect(detail).to_contain_text("Captain Omar Al-Tajribi (demo)")
    irq.screenshot("intel-threat-actor-ar")
    irq.assert_no_console_errors()


def test_a_bundle_goes_in_from_a_file_and_out_as_an_export(officer: OpenOfficer) -> None:
    tur = officer("tur.analyst")
    tur.sign_in(language="en")
    name = f"Imported actor {uuid.uuid4().hex[:6]} (demo)"
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [
        {"type": "threat-actor", "spec_version": "2.1", "id": f"threat-actor--{uuid.uuid4()}",
         "created": "2026-11-30T08:00:00.000Z", "modified": "2026-11-30T08:00:00.000Z", "name": name}]}
    tur.go("/intel")
    box = tur.page.get_by_test_id("intel-import")
    box.locator("input[type=file]").set_input_files(
        files=[{"name": "bad.json", "mimeType": "application/json", "buffer": b"{not json"}])
    expect(box.locator(".form-error")).to_have_text("The file is not JSON.")
    box.locator("input[type=file]").set_input_files(
        files=[{"name": "bundle.json", "mimeType": "application/json", "buffer": json.dumps(bundle).encode()}])
    expect(box.get_by_test_id("import-count")).to_contain_text("1 object")
    box.get_by_test_id("import-publish").click()
    expect(box.get_by_test_id("import-done")).to_contain_text("1 object")
    expect(tur.page.get_by_test_id("intel-feed")).to_contain_text(name)
    href = box.get_by_test_id("intel-export").get_attribute("href")
    exported = tur.context.request.get(f"{tur.base}{href}")
    assert exported.status == 200
    assert name in [o.get("name") for o in exported.json()["objects"]]
    tur.assert_no_console_errors()


def test_the_same_value_from_both_nations_is_listed_as_a_correlation(officer: OpenOfficer) -> None:
    value = f"c2-{uuid.uuid4().hex[:8]}.example.net"
    for username, language in (("tur.analyst", "en"), ("irq.analyst", "ar")):
        o = officer(username)
        o.sign_in(language=language)
        form = publish_form(o)
        form.locator("select[name=kind]").select_option("observable")
        form.locator("select[name=observable_type]").select_option("domain-name")
        form.locator("input[name=observable_value]").fill(value)
        form.get_by_test_id("release-all").click()
        form.get_by_test_id("publish").click()
        expect(o.page.get_by_test_id("intel-detail")).to_contain_text(value)
    o.go("/intel")
    correlations = o.page.get_by_test_id("intel-correlations")
    expect(correlations.get_by_test_id("correlation").filter(has_text=value)).to_have_count(1, timeout=20000)
    o.screenshot("intel-correlations-ar")
    o.assert_no_console_errors()
