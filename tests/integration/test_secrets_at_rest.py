"""Secrets at rest (issue 22, case 5): the SQLite database, its WAL and the data directory are the
centre's user's only; TOTP seeds are sealed with a key outside the database and the key rotates."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

import pyotp
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from concord.centre import Centre
from concord.clock import FixedClock
from concord.storage import people as people_store
from tests.conftest import fast_settings
from tests.factories import PASSWORD, person, sign_in


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_wal_are_private(tmp_path: Path, clock: FixedClock) -> None:
    var = tmp_path / "var"
    centre = Centre(fast_settings(f"sqlite:///{var / 'concord.db'}", tmp_path / "data"), clock=clock)
    try:
        centre.migrate()
        centre.nations.add("TUR", "Türkiye")
        assert mode(var) == 0o700 and mode(tmp_path / "data") == 0o700
        assert mode(var / "concord.db") == 0o600
        assert (var / "concord.db-wal").exists() and mode(var / "concord.db-wal") == 0o600
        assert mode(var / "concord.db-shm") == 0o600
    finally:
        centre.close()


def test_a_database_left_readable_by_an_older_version_is_narrowed(tmp_path: Path, clock: FixedClock) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    (var / "concord.db").touch()
    os.chmod(var / "concord.db", 0o644)
    os.chmod(var, 0o755)  # noqa: S103 (what an older version left, on purpose)
    centre = Centre(fast_settings(f"sqlite:///{var / 'concord.db'}", tmp_path / "data"), clock=clock)
    try:
        centre.migrate()
        assert mode(var) == 0o700 and mode(var / "concord.db") == 0o600
    finally:
        centre.close()


def test_rotating_the_key_reseals_every_seed_and_drops_the_old_key(centre: Centre, client: TestClient,
                                                                   clock: FixedClock, monkeypatch: object) -> None:
    _, name = person(centre, "TUR")
    api = sign_in(client, name)
    secret = str(api.post("/api/me/totp").json()["secret"])
    assert api.post("/api/me/totp/confirm", json={"password": PASSWORD, "secret": secret,
                                                  "code": pyotp.TOTP(secret).at(clock.now())}).status_code == 204
    # A seed an older version stored in clear, next to the sealed one.
    legacy_id, legacy = person(centre, "TUR")
    with centre.db.write() as tx:
        people_store.update_person(tx.conn, legacy_id, totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    old_keys = centre.secrets.key_file.read_bytes()

    from concord.cli.main import app

    env = {"CONCORD_DATABASE_URL": centre.settings.database_url, "CONCORD_DATA_DIR": str(centre.settings.data_dir)}
    result = CliRunner().invoke(app, ["keys", "rotate"], env=env)
    assert result.exit_code == 0, result.output
    assert "Sealed 2 TOTP seed(s)" in result.output
    new_keys = centre.secrets.key_file.read_bytes()
    assert len(new_keys.splitlines()) == 1 and new_keys.strip() not in old_keys
    assert mode(centre.secrets.key_file) == 0o600
    with centre.db.read() as conn:
        stored = {row.username: row.totp_secret for row in people_store.list_people(conn)}
    assert all(value is None or value.startswith("gAAAAA") for value in stored.values())
    assert "JBSWY3DP" not in str(stored[legacy])
    # The running centre still had the old key: it reads the new one when a seed no longer opens.
    clock.advance(timedelta(seconds=30))
    for username, seed in ((name, secret), (legacy, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")):
        signed = client.post("/api/session", json={"username": username, "password": PASSWORD,
                                                   "totp": pyotp.TOTP(seed).at(clock.now())})
        assert signed.status_code == 200, signed.text
