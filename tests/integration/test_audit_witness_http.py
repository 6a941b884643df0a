"""A nation's witness talking to a running centre over HTTP, and the server's checkpoint loop."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from concord.app import create_app
from concord.centre import Centre
from concord.cli.main import app as cli
from concord.clock import FixedClock
from concord.domain.errors import NotFound
from concord.domain.people import Role
from concord.storage import audit_checkpoints as checkpoint_store
from tests.conftest import fast_settings
from tests.factories import PASSWORD, person


@pytest.fixture
def server(centre: Centre) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(centre=centre), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def _token(url: str, username: str) -> str:
    import httpx

    response = httpx.post(f"{url}/api/session", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def test_witnesses_cosign_over_http_with_keys_kept_elsewhere(centre: Centre, server: str, tmp_path: Path) -> None:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin")
    person(centre, "IRQ", (Role.ADMINISTRATOR,), username="irq.admin")
    centre.audit.issue_checkpoint()
    runner = CliRunner()
    for nation in ("TUR", "IRQ"):
        token = _token(server, f"{nation.lower()}.admin")
        key = tmp_path / f"{nation.lower()}-witness" / "witness.skey"  # never under the centre's data dir
        result = runner.invoke(
            cli,
            [
                "audit",
                "witness",
                "--nation",
                nation,
                "--key",
                str(key),
                "--url",
                server,
                "--token",
                token,
                "--register",
            ],
        )
        assert result.exit_code == 0, result.output
    person(centre, "TUR", username="tur.later")
    centre.audit.issue_checkpoint()
    token = _token(server, "tur.admin")
    key = tmp_path / "tur-witness" / "witness.skey"
    result = runner.invoke(
        cli, ["audit", "witness", "--nation", "TUR", "--key", str(key), "--url", server, "--token", token]
    )
    assert result.exit_code == 0, result.output
    # Signing in is itself audited, so the server's loop may have issued newer checkpoints since:
    # look at the one this witness cosigned.
    match = re.search(r"cosigned the checkpoint of size (\d+)", result.output)
    assert match is not None, result.output
    size = int(match.group(1))
    with centre.db.read() as conn:
        cosigned = checkpoint_store.checkpoint_at(conn, size)
    assert cosigned is not None and sorted(cosigned.cosignatures) == ["TUR"]  # IRQ has not cosigned it
    assert centre.audit.witnessed_size() < size
    # A nation exports over HTTP what it may read, and verifies it offline with the keys it trusts.
    bundle = tmp_path / "tur-bundle.json"
    result = runner.invoke(
        cli, ["audit", "export", "--nation", "TUR", "--url", server, "--token", token, "--out", str(bundle)]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["audit", "verify", str(bundle), "--log-key", centre.audit.public_key()])
    assert result.exit_code == 0 and result.output.startswith("OK"), result.output
    # A wrong token is a clear refusal, not a traceback.
    result = runner.invoke(
        cli, ["audit", "witness", "--nation", "TUR", "--key", str(key), "--url", server, "--token", "nonsense"]
    )
    assert result.exit_code != 0 and "refused the token" in result.output


def test_the_server_issues_checkpoints_while_entries_arrive(database_url: str, tmp_path: Path) -> None:
    settings = fast_settings(database_url, tmp_path / "data", audit_checkpoint_seconds=0.05)
    centre = Centre(settings, clock=FixedClock())
    centre.nations.add("TUR", "Türkiye")
    try:
        with TestClient(create_app(centre=centre)):
            for round_ in range(2):
                person(centre, "TUR", username=f"tur.round{round_}")
                with centre.db.read() as conn:  # numbered leaves and those still queued for the sequencer
                    size = int(conn.exec_driver_sql(
                        "SELECT (SELECT count(*) FROM audit_entries) + (SELECT count(*) FROM audit_pending)"
                    ).scalar_one())
                deadline = time.monotonic() + 10
                while True:
                    try:
                        if centre.audit.latest()[1].size >= size:
                            break
                    except NotFound:  # none issued yet
                        pass
                    assert time.monotonic() < deadline, "no checkpoint covered the new entries"
                    time.sleep(0.05)
    finally:
        centre.close()
