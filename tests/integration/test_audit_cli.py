"""`concord audit …` end to end on a SQLite centre: witness, export, verify, and a tampered bundle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from concord.cli.main import app
from concord.domain.checkpoint import SignerKey


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CONCORD_DATABASE_URL", f"sqlite:///{tmp_path / 'centre.db'}")
    monkeypatch.setenv("CONCORD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CONCORD_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("CONCORD_ARGON2_MEMORY_KIB", "8192")
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_witness_export_and_verify(env: Path) -> None:
    code, out = run("init")
    assert code == 0, out
    assert "Audit log key:" in out
    assert (env / "data" / "audit" / "centre.skey").exists()
    assert run("audit", "checkpoint")[0] == 0
    # Each nation's witness key lives outside the centre's data directory.
    for nation in ("TUR", "IRQ"):
        code, out = run("audit", "witness", "--nation", nation, "--key", str(env / nation / "witness.skey"),
                        "--register")
        assert code == 0, out
        assert f"{nation} cosigned the checkpoint of size" in out
    code, out = run("user", "add", "tur.new", "--nation", "TUR", "--name", "New Officer")
    assert code == 0, out
    assert run("audit", "checkpoint")[0] == 0
    code, out = run("audit", "witness", "--nation", "TUR", "--key", str(env / "TUR" / "witness.skey"))
    assert code == 0, out

    bundle = env / "bundle.json"
    code, out = run("audit", "export", "--nation", "TUR", "--out", str(bundle))
    assert code == 0, out
    assert bundle.stat().st_mode & 0o777 == 0o600
    log_key = run("audit", "key")[1].strip()
    code, out = run("audit", "verify", str(bundle), "--log-key", log_key)
    assert code == 0, out
    assert out.startswith("OK")

    data = json.loads(bundle.read_text())
    first_visible = next(leaf for leaf in data["leaves"] if isinstance(leaf, dict))
    first_visible["entry"]["action"] = "person.deleted"
    bundle.write_text(json.dumps(data))
    code, out = run("audit", "verify", str(bundle), "--log-key", log_key)
    assert code == 1
    assert "FAILED (entry_changed)" in out


def test_verify_with_a_wrong_key_and_a_missing_file(env: Path) -> None:
    assert run("init")[0] == 0
    assert run("audit", "checkpoint")[0] == 0
    bundle = env / "bundle.json"
    assert run("audit", "export", "--nation", "IRQ", "--out", str(bundle))[0] == 0
    other = SignerKey.generate("concord.local/audit").verifier().encode()
    code, out = run("audit", "verify", str(bundle), "--log-key", other)
    assert code == 1 and "FAILED (untrusted_key)" in out
    code, out = run("audit", "verify", str(env / "nothing.json"))
    assert code == 1 and "cannot read" in out


def test_the_demo_starts_with_a_checkpoint_both_witnesses_cosigned(env: Path) -> None:
    code, out = run("demo", "--no-serve")
    assert code == 0, out
    assert "Intelligence search index: up to date" in out  # the demo's search finds all it holds
    bundle = env / "bundle.json"
    assert run("audit", "export", "--nation", "TUR", "--out", str(bundle))[0] == 0
    code, out = run("audit", "verify", str(bundle), "--log-key", run("audit", "key")[1].strip())
    assert code == 0, out
    assert "{'IRQ': 1, 'TUR': 1}" in out
