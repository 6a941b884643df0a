"""The command line: init, users, appointments, nations; user mistakes give one line and exit non-zero."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from concord.cli.main import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CONCORD_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CONCORD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CONCORD_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("CONCORD_ARGON2_MEMORY_KIB", "8192")
    return tmp_path


def test_init_creates_each_nations_administrator_once(env: Path) -> None:
    first = runner.invoke(app, ["init"])
    assert first.exit_code == 0, first.output
    assert "tur.admin" in first.output and "irq.admin" in first.output
    again = runner.invoke(app, ["init"])
    assert again.exit_code == 0 and "already initialised" in again.output


def test_a_third_nation_joins(env: Path) -> None:
    runner.invoke(app, ["init"])
    joined = runner.invoke(app, ["nation", "add", "JOR", "--name", "Jordan", "--label", "SECRET=سري"])
    assert joined.exit_code == 0, joined.output
    assert "jor.admin" in joined.output
    listing = runner.invoke(app, ["nation", "list"])
    assert "JOR" in listing.output and "سري" in listing.output
    twice = runner.invoke(app, ["nation", "add", "JOR", "--name", "Jordan"])
    assert twice.exit_code != 0 and "already a partner" in twice.output


def test_user_lifecycle_and_appointments(env: Path) -> None:
    runner.invoke(app, ["init"])
    added = runner.invoke(app, ["user", "add", "tur.kemal", "--nation", "TUR", "--name", "Kemal Test"])
    assert added.exit_code == 0 and "Password (shown once)" in added.output
    appointed = runner.invoke(app, ["appoint", "tur.kemal", "commander", "--starts", "2027-01-01T00:00:00Z"])
    assert appointed.exit_code == 0, appointed.output
    assert runner.invoke(app, ["user", "reset-password", "tur.kemal"]).exit_code == 0
    assert runner.invoke(app, ["user", "disable", "tur.kemal"]).exit_code == 0


@pytest.mark.parametrize("argv, message", [
    (["user", "add", "x.y", "--nation", "ZZZ", "--name", "X"], "not a partner nation"),
    (["user", "add", "Bad Name", "--nation", "TUR", "--name", "X"], "username"),
    (["appoint", "nobody", "commander"], "no person"),
    (["appoint", "tur.admin", "general"], "role is one of"),
    (["appoint", "tur.admin", "commander", "--starts", "tomorrow"], "ISO 8601"),
    (["nation", "add", "T1", "--name", "Bad"], "alpha-3"),
])
def test_mistakes_print_one_line_and_exit_non_zero(env: Path, argv: list[str], message: str) -> None:
    runner.invoke(app, ["init"])
    result = runner.invoke(app, argv)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
