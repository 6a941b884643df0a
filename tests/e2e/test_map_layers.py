"""The map's layers in a real browser (issue #25 item 14): rivers, lakes and provinces loaded only
when zoomed in, province names that collide with no place name, and a centre's own map data (an
administrator uploads an MBTiles file in Administration → Map data; every reader picks it as the base
map and its tiles come from this server), in English, Turkish and Arabic at the common widths."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Officer, Server, require_feature
from tests.map_archives import mbtiles, tiles

pytestmark = pytest.mark.e2e
OpenOfficer = Callable[[str], Officer]
WIDTHS = (1024, 1366, 1440, 1920)
MAP_TAB = {"en": "Map data", "tr": "Harita verisi", "ar": "بيانات الخرائط"}
BUILT_IN = {"en": "Built-in (offline)", "tr": "Yerleşik (çevrim dışı)", "ar": "المدمجة (دون اتصال)"}


def boxes(locator: object) -> list[list[float]]:
    return locator.evaluate_all(  # type: ignore[attr-defined, no-any-return]
        "els => els.map((e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })")


def overlapping(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("language", ["en", "tr", "ar"])
def test_rivers_and_provinces_load_when_zoomed_in_and_names_do_not_collide(officer: OpenOfficer,
                                                                           language: str) -> None:
    o = officer("tur.watch")
    chunks: list[str] = []
    o.page.on("request", lambda r: chunks.append(r.url.rsplit("/", 1)[-1]) if "/assets/" in r.url else None)
    o.sign_in(language=language)
    o.page.set_viewport_size({"width": 1440, "height": 900})
    o.go("/map")
    expect(o.page.locator(".leaflet-pane canvas")).to_have_count(1)
    o.page.wait_for_load_state("networkidle")
    # Zoom in on a town of the border region (the wheel zooms about the pointer) until provinces are
    # named (zoom 7), however the picture was framed; the map's centre if no such name is shown yet.
    towns = o.page.locator(".place-label").filter(has_text=re.compile(r"^(Mosul|Zaxo|Dihok|Erbil|Cizre|Silopi)$"))
    for _ in range(8):
        if o.page.locator(".province-label").count():
            break
        target = towns.first.locator(".dot") if towns.count() else o.page.get_by_test_id("map")
        box = target.bounding_box()
        assert box is not None
        o.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        o.page.mouse.wheel(0, -70)
        o.page.wait_for_load_state("networkidle")
        o.page.wait_for_timeout(500)
    provinces = o.page.locator(".province-label span")
    expect(provinces.first).to_be_visible()
    assert any(name.startswith(("_virtual_water", "water")) for name in chunks), chunks
    # Only the countries in view: Türkiye and Iraq here, never Brazil.
    assert any(re.match(r"^(tur|irq)-.*\.js$", name) for name in chunks), chunks
    countries = [name[:3] for name in chunks if re.match(r"^[a-z]{3}-.*\.js$", name)]
    assert not {"bra", "usa", "chn", "fra"} & set(countries), countries
    names = boxes(provinces) + boxes(o.page.locator(".place-label .name"))
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not overlapping(a, b), (a, b)
    o.screenshot(f"map-layers-{language}")


def test_an_administrator_uploads_map_data_and_readers_pick_it_as_the_base_map(
        officer: OpenOfficer, server: Server, tmp_path: Path) -> None:
    require_feature(server, "/api/map-sources/archives")
    archive = mbtiles(tmp_path / "relief.mbtiles", contents=tiles(max_zoom=3), bounds="40,35,48,39")
    admin = officer("tur.admin")
    admin.sign_in(language="en")
    admin.go("/admin/map")
    form = admin.page.get_by_test_id("map-archive-form")
    # A file that is no map: refused, naming the field, nothing listed.
    bad = tmp_path / "notes.mbtiles"
    bad.write_text("not a map")
    form.locator("input[name=name]").fill("Bad file")
    form.locator("input[name=file]").set_input_files(str(bad))
    form.get_by_role("button", name="Upload").click()
    expect(form.locator(".form-error")).to_contain_text("file")
    admin.forgive("422")
    form.locator("input[name=name]").fill("Relief 1:50k (fictional)")
    form.locator("input[name=attribution]").fill("Demo survey")
    form.locator("input[name=file]").set_input_files(str(archive))
    form.get_by_role("button", name="Upload").click()
    row = admin.page.get_by_test_id("map-sources").locator("tr[data-source='Relief 1:50k (fictional)']")
    expect(row).to_contain_text("MBTILES")
    # An on-premises tile server with a URL that is not one: the URL field is named.
    server_form = admin.page.get_by_test_id("map-server-form")
    server_form.locator("input[name=name]").fill("Streets")
    server_form.locator("input[name=url]").fill("ftp://tiles.centre.local/{z}/{x}/{y}.png")
    server_form.get_by_role("button", name="Add server").click()
    expect(server_form.locator(".form-error")).to_contain_text("url")
    admin.forgive("422")
    admin.screenshot("admin-map-data-en")

    watch = officer("irq.watch")
    watch.sign_in(language="ar")
    watch.go("/admin/map")
    expect(watch.page.get_by_test_id("map-sources")).to_contain_text("Relief 1:50k (fictional)")
    expect(watch.page.get_by_test_id("map-archive-form")).to_have_count(0)  # only administrators add
    watch.go("/map")
    tiles_served: list[tuple[int, str]] = []
    watch.page.on("response", lambda r: tiles_served.append((r.status, r.headers.get("content-type", "")))
                  if "/api/map-sources/" in r.url and "/tiles/" in r.url else None)
    base = watch.page.get_by_test_id("base-layers")
    expect(base).to_contain_text(BUILT_IN["ar"])
    base.get_by_text("Relief 1:50k (fictional)").click()
    expect(watch.page.locator(".leaflet-pane img.leaflet-tile-loaded").first).to_be_attached()
    watch.page.wait_for_load_state("networkidle")
    assert (200, "image/png") in tiles_served, tiles_served
    watch.screenshot("map-own-base-layer-ar")
    base.get_by_text(BUILT_IN["ar"]).click()  # back to the built-in map for the other tests
    expect(watch.page.locator(".leaflet-pane img.leaflet-tile")).to_have_count(0)

    # Removed by its nation's administrator: gone from every list.
    admin.go("/admin/map")
    row.get_by_test_id("map-source-remove").click()
    expect(row).to_have_count(0)


@pytest.mark.parametrize("language", ["en", "tr", "ar"])
def test_the_map_data_section_fits_every_width(officer: OpenOfficer, language: str) -> None:
    admin = officer("irq.admin")
    admin.sign_in(language=language)
    admin.go("/admin")
    for width in WIDTHS:
        admin.page.set_viewport_size({"width": width, "height": 800})
        tab = admin.page.get_by_test_id("admin-tab-map")
        tab.click()
        expect(admin.page.get_by_test_id("map-sources")).to_be_visible()
        expect(tab).to_have_text(MAP_TAB[language])
        for form in ("map-archive-form", "map-server-form"):
            box = admin.page.get_by_test_id(form).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (form, width, box)
        overflow = admin.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (language, width, overflow)
        admin.screenshot(f"admin-map-data-{language}-{width}")
        admin.go("/map")
        expect(admin.page.get_by_test_id("base-layers")).to_contain_text(BUILT_IN[language])
        admin.screenshot(f"map-base-layers-{language}-{width}")
        admin.go("/admin")
