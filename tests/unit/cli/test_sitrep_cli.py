"""`concord sitrep --as USER --pdf FILE` on the demo scenario: each reader gets what they may see."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from concord.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("demo")
    env = {"CONCORD_DATABASE_URL": f"sqlite:///{root / 'demo.db'}", "CONCORD_DATA_DIR": str(root / "data"),
           "CONCORD_ARGON2_TIME_COST": "1", "CONCORD_ARGON2_MEMORY_KIB": "8192",
           "CONCORD_DEMO_PASSWORD": "demo-password-123"}
    # `concord demo` sets its CONCORD_* defaults in the process environment, and the runner restores
    # only the variables it was given: keep them from reaching every later test's settings.
    saved = dict(os.environ)
    try:
        loaded = runner.invoke(app, ["demo", "--no-serve"], env=env)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert loaded.exit_code == 0, loaded.output
    return env


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_each_reader_gets_a_pdf_of_what_they_may_see(demo_env: dict[str, str], tmp_path: Path) -> None:
    commander_pdf, analyst_pdf = tmp_path / "commander.pdf", tmp_path / "analyst.pdf"
    result = runner.invoke(app, ["sitrep", "--as", "tur.commander", "--pdf", str(commander_pdf)], env=demo_env)
    assert result.exit_code == 0, result.output
    assert "overdue rfis" in result.output
    assert commander_pdf.stat().st_mode & 0o777 == 0o600  # an export of restricted items: its owner's only
    text = pdf_text(commander_pdf)
    assert "SECRET (GİZLİ) // REL TO IRQ, TUR // TLP:AMBER" in text
    assert "Yayla-9" in text  # the SECRET incident of the demo
    assert "OVERDUE" in text
    result = runner.invoke(app, ["sitrep", "--as", "irq.analyst", "--pdf", str(analyst_pdf)], env=demo_env)
    assert result.exit_code == 0, result.output
    text = pdf_text(analyst_pdf)
    # pdftotext reorders the Arabic label's run in its own way (the page itself shows it in place).
    banners = [line for line in text.splitlines() if line.startswith("CONFIDENTIAL (")]
    assert len(banners) >= 2  # top and bottom of the page at least
    assert all("مكتوم" in line and "REL TO IRQ, TUR // TLP:AMBER" in line for line in banners)
    assert "Yayla-9" not in text  # above a CONFIDENTIAL analyst's clearance


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["sitrep", "--as", "nobody"], 3, "no person"),
    (["sitrep", "--as", "tur.commander", "--date", "yesterday"], 2, "not a date"),
])
def test_mistakes_give_one_line_and_an_exit_code(demo_env: dict[str, str], argv: list[str], code: int,
                                                 message: str) -> None:
    result = runner.invoke(app, argv, env=demo_env)
    assert result.exit_code == code and message in result.output


def test_the_demo_has_an_overdue_rfi_and_a_release_awaiting_approval(demo_env: dict[str, str]) -> None:
    from concord.centre import Centre
    from concord.cli.centre import actor_for
    from concord.settings import Settings

    settings = Settings(database_url=demo_env["CONCORD_DATABASE_URL"], data_dir=Path(demo_env["CONCORD_DATA_DIR"]))
    centre = Centre(settings)
    try:
        irq = actor_for(centre, "irq.commander")
        rfis = centre.rfis.visible(irq)
        assert any(r.is_overdue(centre.clock.now()) for r in rfis)
        releases = centre.releases.visible(irq)
        assert [r.awaiting for r in releases] == [frozenset({"IRQ"})]
        assert centre.releases.published() == []
        assert len(centre.incidents.visible(irq)) == 4
    finally:
        centre.close()
