"""`concord sites import FILE.geojson`: all features or none, problems named by feature."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from concord.centre import Centre
from concord.cli.main import app
from concord.domain.markings import Level, Reader
from concord.settings import Settings
from concord.storage import sites as site_store

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CONCORD_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CONCORD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CONCORD_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("CONCORD_ARGON2_MEMORY_KIB", "8192")
    assert runner.invoke(app, ["init"]).exit_code == 0
    return tmp_path


def _collection(path: Path, features: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def _feature(i: int, **props: object) -> dict[str, object]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [43.0 + i * 0.01, 36.0]},
            "properties": {"kind": "school", "name": f"Demo school {i}", **props}}


def _sites(env: Path) -> list[site_store.SiteRow]:
    centre = Centre(Settings())
    try:
        with centre.db.read() as conn:
            return site_store.list_visible(conn, Reader(1, "IRQ", Level.SECRET))
    finally:
        centre.close()


def test_import_many_with_progress(env: Path) -> None:
    path = _collection(env / "sites.geojson", [_feature(i) for i in range(25)])
    result = runner.invoke(app, ["sites", "import", str(path), "--nation", "IRQ"])
    assert result.exit_code == 0, result.output
    assert "25 protected sites imported for IRQ" in result.output
    sites = _sites(env)
    assert len(sites) == 25 and sites[0].spec.buffer_m == 300.0
    assert sites[0].spec.marking.originator == "IRQ" and "TUR" in sites[0].spec.marking.releasable_to


def test_a_bad_feature_names_itself_and_nothing_is_written(env: Path) -> None:
    features = [_feature(i) for i in range(5)]
    features[3] = _feature(3, kind="castle")
    result = runner.invoke(app, ["sites", "import", str(_collection(env / "bad.geojson", features)),
                                 "--nation", "IRQ"])
    assert result.exit_code == 2
    assert "features[3].properties.kind" in result.output
    assert _sites(env) == []


def test_not_a_feature_collection(env: Path) -> None:
    path = env / "x.geojson"
    path.write_text('{"type": "Feature"}', encoding="utf-8")
    result = runner.invoke(app, ["sites", "import", str(path), "--nation", "IRQ"])
    assert result.exit_code == 2 and "FeatureCollection" in result.output
    unknown = runner.invoke(app, ["sites", "import", str(_collection(env / "ok.geojson", [_feature(1)])),
                                  "--nation", "XYZ"])
    assert unknown.exit_code == 2 and "nation" in unknown.output
