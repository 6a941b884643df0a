"""`concord node show` and `concord peer add|list|remove` on a SQLite centre."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from concord.cli import federation as federation_cli
from concord.cli.main import app
from concord.services.federation import NodeIdentity


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CONCORD_DATABASE_URL", f"sqlite:///{tmp_path / 'centre.db'}")
    monkeypatch.setenv("CONCORD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CONCORD_NODE_NATION", "TUR")
    monkeypatch.setenv("CONCORD_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("CONCORD_ARGON2_MEMORY_KIB", "8192")
    monkeypatch.setattr(federation_cli.console, "width", 300)  # the table's columns in full
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), terminal_width=400)
    return result.exit_code, result.output


def test_node_show_and_peers_by_mutual_consent(env: Path) -> None:
    assert run("init")[0] == 0
    code, out = run("node", "show")
    assert code == 0, out
    key_file = env / "data" / "keys" / "node.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    mine = NodeIdentity(env / "data" / "keys")
    assert f"node id:         {mine.node_id}" in out
    assert mine.fingerprint in out and "nation:          TUR" in out
    # The same key at every start: the identity is kept, not remade.
    assert run("node", "show")[1] == out

    irq = NodeIdentity(env / "irq-keys")
    irq_key = run_key(irq)
    code, out = run("peer", "add", "irq-node", "--url", "http://127.0.0.1:9", "--key", irq_key, "--nation", "IRQ",
                    "--level", "restricted", "--as", "tur.admin")
    assert code == 0, out
    assert irq.fingerprint in out
    code, out = run("peer", "add", "irq-again", "--url", "http://127.0.0.1:9", "--key", irq_key, "--nation", "IRQ",
                    "--level", "restricted", "--as", "tur.admin")
    assert code != 0 and "held already" in out
    code, out = run("peer", "add", "jor-node", "--url", "http://127.0.0.1:9", "--key", "short", "--nation", "IRQ",
                    "--level", "restricted", "--as", "tur.admin")
    assert code != 0 and "key" in out
    code, out = run("peer", "add", "x-node", "--url", "http://127.0.0.1:9", "--key", irq_key, "--nation", "IRQ",
                    "--level", "restricted", "--as", "irq.admin")
    assert code != 0 and "TUR's administrators" in out
    code, out = run("peer", "list", "--as", "tur.admin")
    assert code == 0 and "irq-node" in out and "RESTRICTED" in out
    assert "pending" in out  # the link as the puller left it: added here, never pulled yet
    assert run("peer", "remove", "irq-node", "--as", "tur.admin")[0] == 0
    assert "irq-node" not in run("peer", "list", "--as", "tur.admin")[1]


def run_key(identity: NodeIdentity) -> str:
    from concord.domain.federation import encode_key

    return encode_key(identity.public_raw())
