"""One centre, one identity whatever the number of processes (issue 21 item 11): processes on one
database use the same audit key, secrets key and TAK CA, or refuse to start saying which and why."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from concord.app import create_app
from concord.centre import Centre, StartupError
from concord.clock import FixedClock
from concord.services.identity import AUDIT_LOG_KEY, SECRETS_KEY, TAK_CA, IdentityMismatch
from concord.services.secrets import SecretBox
from tests.conftest import fast_settings


def centre_at(database_url: str, data_dir: Path, clock: FixedClock) -> Centre:
    centre = Centre(fast_settings(database_url, data_dir), clock=clock)
    centre.migrate()
    return centre


def test_processes_sharing_the_keys_publish_one_log_key(database_url: str, tmp_path: Path, clock: FixedClock) -> None:
    first = centre_at(database_url, tmp_path / "first", clock)
    first.verify_identity()
    first.cot.ca  # noqa: B018 (the CA is made on first use)
    first.verify_identity()
    # A second process given a copy of the first's keys (or the same directory) is the same centre.
    second_dir = tmp_path / "second"
    shutil.copytree(tmp_path / "first", second_dir)
    second = centre_at(database_url, second_dir, clock)
    second.verify_identity()
    assert second.audit.public_key() == first.audit.public_key()
    assert second.cot.ca.fingerprint() == first.cot.ca.fingerprint()
    for centre in (first, second):
        centre.close()


def test_a_process_with_a_data_directory_of_its_own_refuses_and_makes_no_key(
    database_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    first = centre_at(database_url, tmp_path / "first", clock)
    first.verify_identity()
    stranger = centre_at(database_url, tmp_path / "stranger", clock)
    with pytest.raises(IdentityMismatch, match=r"audit-log-key is not in .*same keys") as refused:
        stranger.verify_identity()
    assert refused.value.field == AUDIT_LOG_KEY
    assert not (tmp_path / "stranger" / "audit" / "centre.skey").exists()  # never a second key
    # Nor does it sign: asking for the key fails the same way.
    with pytest.raises(IdentityMismatch):
        stranger.audit.public_key()
    for centre in (first, stranger):
        centre.close()


def test_each_key_is_checked_on_its_own(database_url: str, tmp_path: Path, clock: FixedClock) -> None:
    first = centre_at(database_url, tmp_path / "first", clock)
    first.cot.ca  # noqa: B018
    first.verify_identity()
    # Same audit key, but a secrets key file of its own: sealed second factors would not open.
    other = tmp_path / "other"
    (other / "audit").mkdir(parents=True)
    shutil.copy(tmp_path / "first" / "audit" / "centre.skey", other / "audit" / "centre.skey")
    odd = centre_at(database_url, other, clock)
    with pytest.raises(IdentityMismatch):  # it makes no key file of its own for a centre that has one
        odd.secrets.seal("x")
    assert not (other / "keys" / "secrets.keys").exists()
    SecretBox(other / "keys" / "secrets.keys").seal("x")  # one made elsewhere, by hand
    with pytest.raises(IdentityMismatch) as refused:
        odd.verify_identity()
    assert refused.value.field == SECRETS_KEY
    # With the secrets key too, but no CA: the centre's CA is missing here.
    shutil.copytree(tmp_path / "first" / "keys", other / "keys", dirs_exist_ok=True)
    odd_again = centre_at(database_url, other, clock)
    with pytest.raises(IdentityMismatch) as refused:
        odd_again.verify_identity()
    assert refused.value.field == TAK_CA
    assert not (other / "cot-ca" / "ca.pem").exists()
    for centre in (first, odd, odd_again):
        centre.close()


def test_a_mismatched_process_fails_its_start_with_a_clear_message(
    database_url: str, tmp_path: Path, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    first = centre_at(database_url, tmp_path / "first", clock)
    with TestClient(create_app(centre=first)):  # the first process records the keys at its start
        pass
    stranger = centre_at(database_url, tmp_path / "stranger", clock)
    with pytest.raises(StartupError, match="same keys"), TestClient(create_app(centre=stranger)):
        pass
    assert "the centre cannot start" in caplog.text
    for centre in (first, stranger):
        centre.close()


def test_a_command_refuses_too(database_url: str, tmp_path: Path, clock: FixedClock) -> None:
    first = centre_at(database_url, tmp_path / "first", clock)
    first.verify_identity()
    first.close()
    env = {"CONCORD_DATABASE_URL": database_url, "CONCORD_DATA_DIR": str(tmp_path / "stranger"),
           "CONCORD_LOG_JSON": "false", "PYTHONWARNINGS": "ignore", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "concord", "audit", "key"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0
    assert "audit-log-key" in done.stdout + done.stderr and "same keys" in done.stdout + done.stderr
