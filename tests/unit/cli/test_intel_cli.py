"""`concord intel import` and `concord intel export`: bundles in and out, errors per object, resumable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from concord.cli.main import app
from tests.intel_factories import indicator, shared_with

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CONCORD_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CONCORD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CONCORD_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("CONCORD_ARGON2_MEMORY_KIB", "8192")
    assert runner.invoke(app, ["init"]).exit_code == 0
    for username, nation in (("tur.analyst1", "TUR"), ("irq.analyst1", "IRQ")):
        assert runner.invoke(app, ["user", "add", username, "--nation", nation, "--name", "Analyst"]).exit_code == 0
        assert runner.invoke(app, ["appoint", username, "analyst"]).exit_code == 0
    return tmp_path


def bundle(path: Path, objects: list[dict[str, object]]) -> Path:
    path.write_text(
        json.dumps({"type": "bundle", "id": "bundle--0a5c7f2e-6a4b-4c1d-9e8f-1a2b3c4d5e6f", "objects": objects})
    )
    return path


def test_import_reports_each_refused_object_and_resumes(env: Path) -> None:
    refs, defs = shared_with("IRQ")
    good = [indicator(f"198.51.100.{i}", refs=refs) for i in range(1, 6)]
    bad = {**indicator(), "valid_from": "not a time"}
    path = bundle(env / "feed.json", [*defs, *good, bad])
    first = runner.invoke(app, ["intel", "import", str(path), "--as", "tur.analyst1"])
    assert first.exit_code == 1
    assert f"refused {bad['id']}" in first.output and "valid_from" in first.output
    assert "6 objects stored or already held, 1 refused" in first.output
    # Running it again is safe: what is held is recognised, nothing is stored twice.
    again = runner.invoke(app, ["intel", "import", str(path), "--as", "tur.analyst1"])
    assert "6 objects stored or already held, 1 refused" in again.output
    out = env / "irq.json"
    exported = runner.invoke(app, ["intel", "export", "--as", "irq.analyst1", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert out.stat().st_mode & 0o777 == 0o600  # an export of what a SECRET-cleared reader may see
    objects = json.loads(out.read_text())["objects"]
    assert sorted(o["id"] for o in objects if o["type"] == "indicator") == sorted(o["id"] for o in good)
    assert {r for o in good for r in o["object_marking_refs"]} <= {o["id"] for o in objects}


def test_import_mistakes_are_one_line(env: Path) -> None:
    missing = runner.invoke(app, ["intel", "import", str(env / "nope.json"), "--as", "tur.analyst1"])
    assert missing.exit_code == 2 and "cannot read" in missing.output
    (env / "broken.json").write_text("{not json")
    broken = runner.invoke(app, ["intel", "import", str(env / "broken.json"), "--as", "tur.analyst1"])
    assert broken.exit_code == 2 and "not a JSON object" in broken.output
    nobody = runner.invoke(app, ["intel", "export", "--as", "nobody"])
    assert nobody.exit_code == 3


def test_import_with_index_leaves_search_and_correlation_up_to_date(env: Path) -> None:
    from concord.cli.centre import open_centre
    from concord.services.intel_read import ListFilter

    refs, defs = shared_with("IRQ")
    plain = runner.invoke(app, ["intel", "import", str(bundle(env / "a.json", [*defs, indicator(
        "198.51.100.90", refs=refs, name="Fictional lapwing relay")])), "--as", "tur.analyst1"])
    assert plain.exit_code == 0 and "a running centre indexes what was imported" in plain.output
    centre = open_centre()
    try:
        tur = centre.people.actor_named("tur.analyst1")
        assert centre.intel_read.list_objects(tur, ListFilter(text="lapwing")) == []  # not indexed yet
        assert centre.intel_index.objects_behind(tur.reader) == 2  # the indicator and its marking definition
    finally:
        centre.close()
    indexed = runner.invoke(app, ["intel", "import", str(bundle(env / "b.json", [indicator(
        "198.51.100.90", name="Fictional lapwing sighting")])), "--as", "irq.analyst1", "--index"])
    assert indexed.exit_code == 0 and "Search and correlation are up to date" in indexed.output
    centre = open_centre()
    try:
        irq = centre.people.actor_named("irq.analyst1")
        assert {o.title for o in centre.intel_read.list_objects(irq, ListFilter(text="lapwing"))} == {
            "Fictional lapwing relay", "Fictional lapwing sighting"}
        assert [c["value"] for c in centre.intel_read.correlations(irq)] == ["198.51.100.90"]
    finally:
        centre.close()
