"""A centre's own map data over HTTP (issue #25, item 14): administrators upload MBTiles and PMTiles
archives and add on-premises tile servers; everyone with a post at the centre reads the sources and
an archive's tiles by z/x/y; a bad file or URL is a 4xx naming the field with nothing written; only
the adding nation's administrators remove a source; every change is an audited event."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pmtiles.tile import TileType

from concord.centre import Centre
from concord.domain.people import Role
from tests.factories import ApiClient, person, sign_in, tiny_png
from tests.map_archives import mbtiles, pmtiles


@pytest.fixture
def tur_admin(centre: Centre, client: TestClient) -> ApiClient:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin")
    return sign_in(client, "tur.admin")


def upload(api: ApiClient, path: Path, name: str = "Relief 1:50k") -> object:
    with path.open("rb") as f:
        return api.post("/api/map-sources/archives", data={"name": name}, files={"file": ("x.bin", f)})


def written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def mbtiles_with(path: Path, change: str) -> Path:
    """A sample MBTiles file spoiled by one SQL statement."""
    import sqlite3
    from contextlib import closing

    mbtiles(path)
    with closing(sqlite3.connect(path)) as db:
        db.execute(change)
        db.commit()
    return path


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("kind", ["mbtiles", "pmtiles"])
def test_an_uploaded_archive_serves_its_tiles_to_every_partner(
        centre: Centre, client: TestClient, tur_admin: ApiClient, tmp_path: Path, kind: str) -> None:
    path = (mbtiles if kind == "mbtiles" else pmtiles)(tmp_path / f"sample.{kind}")
    added = upload(tur_admin, path)
    assert added.status_code == 201, added.text  # type: ignore[attr-defined]
    source = added.json()  # type: ignore[attr-defined]
    assert source["kind"] == kind and source["tile_format"] == "png"
    assert (source["min_zoom"], source["max_zoom"]) == (0, 2)
    assert source["bounds"] == [40.0, 35.0, 48.0, 39.0] and source["nation"] == "TUR"
    assert source["tile_url"] == f"/api/map-sources/{source['id']}/tiles/{{z}}/{{x}}/{{y}}"
    person(centre, "IRQ", (Role.WATCH_OFFICER,), username="irq.watch")
    watch = sign_in(client, "irq.watch")
    assert [s["id"] for s in watch.get("/api/map-sources").json()] == [source["id"]]
    # XYZ numbering (y from the north): tile (2, 3, 1) is the PNG 4 wide and 2 high.
    tile = watch.get(f"/api/map-sources/{source['id']}/tiles/2/3/1")
    assert tile.status_code == 200 and tile.headers["content-type"] == "image/png"
    assert png_size(tile.content) == (4, 2)
    assert "max-age" in tile.headers["cache-control"]
    # Past the archive's zooms: nothing to draw, no error.
    assert watch.get(f"/api/map-sources/{source['id']}/tiles/5/0/0").status_code == 204


def test_tile_addresses_out_of_range_name_the_field(tur_admin: ApiClient, tmp_path: Path) -> None:
    source = upload(tur_admin, mbtiles(tmp_path / "s.mbtiles")).json()  # type: ignore[attr-defined]
    base = f"/api/map-sources/{source['id']}/tiles"
    for url, field in ((f"{base}/2/4/0", "x"), (f"{base}/2/0/4", "y"), (f"{base}/25/0/0", "z"),
                       (f"{base}/1/99999999999999999999/0", "x")):
        reply = tur_admin.get(url)
        assert reply.status_code == 422, (url, reply.text)
        assert field in reply.text
    assert tur_admin.get("/api/map-sources/999/tiles/0/0/0").status_code == 404


@pytest.mark.parametrize(("make", "needle"), [
    (lambda p: written(p, b"not a map at all" * 10), "neither"),
    (lambda p: written(p, b""), "empty"),
    (lambda p: written(p, b"SQLite format 3\x00" + b"\x00" * 200), "cannot be read"),
    (lambda p: mbtiles(p, contents={(0, 0, 0): b"garbage bytes"}, fmt=None), "PNG, JPEG or WebP"),
    (lambda p: mbtiles(p, fmt="pbf"), "vector"),
    (lambda p: mbtiles(p, contents={}), "no tiles"),
    (lambda p: mbtiles_with(p, "UPDATE tiles SET zoom_level = 'deep' WHERE zoom_level = 2"), "whole numbers"),
    (lambda p: mbtiles_with(p, "UPDATE tiles SET tile_data = NULL"), "not data"),
    (lambda p: mbtiles_with(p, "DROP TABLE metadata"), "cannot be read"),
    (lambda p: written(p, b"PMTiles\x03" + b"\xff" * 40), "cannot be read"),
    (lambda p: pmtiles(p, tile_type=TileType.MVT), "vector"),
])
def test_a_bad_file_is_refused_naming_the_field_and_nothing_is_kept(
        centre: Centre, tur_admin: ApiClient, tmp_path: Path, make: object, needle: str) -> None:
    path = make(tmp_path / "bad.bin")  # type: ignore[operator]
    reply = upload(tur_admin, path)
    assert reply.status_code == 422, reply.text  # type: ignore[attr-defined]
    error = reply.json()["error"]  # type: ignore[attr-defined]
    assert error["details"]["field"] == "file" and needle in error["message"]
    assert tur_admin.get("/api/map-sources").json() == []
    folder = centre.settings.data_dir / "map_data"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_only_administrators_add_and_only_the_adding_nation_removes(
        centre: Centre, client: TestClient, tur_admin: ApiClient, tmp_path: Path) -> None:
    person(centre, "TUR", (Role.COMMANDER,), username="tur.general")
    person(centre, "IRQ", (Role.ADMINISTRATOR,), username="irq.admin")
    general, irq_admin = sign_in(client, "tur.general"), sign_in(client, "irq.admin")
    path = mbtiles(tmp_path / "s.mbtiles")
    assert upload(general, path).status_code == 403  # type: ignore[attr-defined]
    server = {"name": "Ops tiles", "url": "https://tiles.centre.local/{z}/{x}/{y}.png"}
    assert general.post("/api/map-sources/servers", json=server).status_code == 403
    source = upload(tur_admin, path).json()  # type: ignore[attr-defined]
    stored = centre.settings.data_dir / "map_data"
    assert len(list(stored.iterdir())) == 1
    refused = irq_admin.delete(f"/api/map-sources/{source['id']}")
    assert refused.status_code == 403 and refused.json()["error"]["details"]["field"] == "originator"
    assert general.delete(f"/api/map-sources/{source['id']}").status_code == 403
    assert tur_admin.delete(f"/api/map-sources/{source['id']}").status_code == 204
    assert tur_admin.get("/api/map-sources").json() == [] and list(stored.iterdir()) == []
    kinds = [e["kind"] for e in tur_admin.get("/api/events").json() if e["item_type"] == "map_source"]
    assert kinds == ["map_source.added", "map_source.removed"]


def test_a_person_without_a_post_sees_no_source_and_no_tile(
        centre: Centre, client: TestClient, tur_admin: ApiClient, tmp_path: Path) -> None:
    source = upload(tur_admin, mbtiles(tmp_path / "s.mbtiles")).json()  # type: ignore[attr-defined]
    person(centre, "IRQ", (), username="irq.nobody")
    nobody = sign_in(client, "irq.nobody")
    assert nobody.get("/api/map-sources").json() == []
    hidden = nobody.get(f"/api/map-sources/{source['id']}/tiles/0/0/0")
    absent = nobody.get("/api/map-sources/9999/tiles/0/0/0")
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json()["error"]["code"] == absent.json()["error"]["code"]


def test_a_tile_server_is_validated_and_its_url_handed_to_the_map(tur_admin: ApiClient) -> None:
    wmts = ("https://gis.centre.local/wmts/relief/default/GoogleMapsCompatible/{TileMatrix}/{TileRow}/"
            "{TileCol}.png")
    added = tur_admin.post("/api/map-sources/servers", json={"name": "Relief (WMTS)", "url": wmts,
                                                             "attribution": "Survey"})
    assert added.status_code == 201, added.text
    assert added.json()["tile_url"] == ("https://gis.centre.local/wmts/relief/default/GoogleMapsCompatible/"
                                        "{z}/{y}/{x}.png")
    for url in ("ftp://tiles/{z}/{x}/{y}.png", "https://tiles.local/{z}/{x}.png", "javascript:alert(1)//{z}{x}{y}",
                "https://user:pw@tiles.local/{z}/{x}/{y}.png", "https://tiles.local/{z}/{x}/{y}/{token}.png",
                "https:///{z}/{x}/{y}.png"):
        reply = tur_admin.post("/api/map-sources/servers", json={"name": "Bad", "url": url})
        assert reply.status_code == 422, (url, reply.text)
        assert reply.json()["error"]["details"]["field"] == "url", url
    inverted = {"name": "Z", "url": "https://t.local/{z}/{x}/{y}.png", "min_zoom": 9, "max_zoom": 3}
    bad_zoom = tur_admin.post("/api/map-sources/servers", json=inverted)
    assert bad_zoom.status_code == 422 and bad_zoom.json()["error"]["details"]["field"] == "max_zoom"
    sources = tur_admin.get("/api/map-sources").json()
    assert [s["name"] for s in sources] == ["Relief (WMTS)"]
    # Its tiles come from the server itself, never through this one.
    assert tur_admin.get(f"/api/map-sources/{sources[0]['id']}/tiles/0/0/0").status_code == 404


def test_a_jpeg_archive_is_served_as_jpeg(tur_admin: ApiClient, tmp_path: Path) -> None:
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 20
    source = upload(tur_admin, mbtiles(tmp_path / "j.mbtiles", fmt=None, contents={(0, 0, 0): jpeg})).json()  # type: ignore[attr-defined]
    assert source["tile_format"] == "jpg"
    tile = tur_admin.get(f"/api/map-sources/{source['id']}/tiles/0/0/0")
    assert tile.headers["content-type"] == "image/jpeg" and tile.content == jpeg
    assert tiny_png()  # the PNG factory stays the one the archives use


def test_the_page_may_load_images_from_the_centres_own_tile_servers_only(
        client: TestClient, tur_admin: ApiClient) -> None:
    before = client.get("/").headers.get("content-security-policy", "")
    assert "tiles.centre.local" not in before
    added = tur_admin.post("/api/map-sources/servers",
                           json={"name": "Streets", "url": "https://{s}.tiles.centre.local:8443/{z}/{x}/{y}.png"})
    assert added.status_code == 201, added.text
    for bad in ("https://tiles{s}.local/{z}/{x}/{y}.png", "https://a;b.local/{z}/{x}/{y}.png"):
        assert tur_admin.post("/api/map-sources/servers", json={"name": "X", "url": bad}).status_code == 422, bad
    page = client.get("/")
    assert page.status_code == 200  # the built interface (scripts/setup builds it)
    policy = page.headers["content-security-policy"]
    img = next(d for d in policy.split(";") if d.strip().startswith("img-src"))
    assert img.split() == ["img-src", "'self'", "data:", "blob:", "https://*.tiles.centre.local:8443"]


def test_the_demo_offers_a_sample_map_it_draws_itself(centre: Centre, client: TestClient,
                                                      tur_admin: ApiClient) -> None:
    from concord.demo.map_sample import NAME, TRAINING_AREA, map_sample_scenario, tile_of

    map_sample_scenario(centre, {"tur.admin": tur_admin.person_id})
    (source,) = tur_admin.get("/api/map-sources").json()
    assert source["name"] == NAME and (source["min_zoom"], source["max_zoom"]) == (6, 10)
    west, south, east, north = TRAINING_AREA
    x, y = tile_of((west + east) / 2, (south + north) / 2, 10)
    tile = tur_admin.get(f"/api/map-sources/{source['id']}/tiles/10/{x}/{y}")
    assert tile.status_code == 200 and tile.headers["content-type"] == "image/png"
    assert png_size(tile.content) == (256, 256)


def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(centre: Centre, tur_admin: ApiClient,
                                                               tmp_path: Path) -> None:
    centre.map_data.max_bytes = 2048
    reply = upload(tur_admin, mbtiles(tmp_path / "big.mbtiles"))
    assert reply.status_code == 413 and reply.json()["error"]["details"]["field"] == "file"  # type: ignore[attr-defined]
    assert list((centre.settings.data_dir / "map_data").iterdir()) == []
    missing = tur_admin.post("/api/map-sources/archives", data={"name": "No file"})
    assert missing.status_code == 422 and "file" in missing.text


def test_a_damaged_tile_row_is_nothing_to_draw_not_an_error(centre: Centre, tur_admin: ApiClient,
                                                            tmp_path: Path) -> None:
    import sqlite3
    from contextlib import closing

    source = upload(tur_admin, mbtiles(tmp_path / "s.mbtiles")).json()  # type: ignore[attr-defined]
    stored = next((centre.settings.data_dir / "map_data").iterdir())
    stored.chmod(0o600)
    with closing(sqlite3.connect(stored)) as db:  # damaged on disk after the upload's checks
        db.execute("UPDATE tiles SET tile_data = NULL WHERE zoom_level = 1")
        db.commit()
    assert tur_admin.get(f"/api/map-sources/{source['id']}/tiles/1/0/0").status_code == 204
    assert tur_admin.get(f"/api/map-sources/{source['id']}/tiles/0/0/0").status_code == 200
