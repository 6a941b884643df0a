"""`concord cot enroll/revoke`: certificates for a person, refused for someone unknown."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from cryptography import x509
from typer.testing import CliRunner

from concord.cli.main import app
from concord.cot.ca import CertificateAuthority
from concord.cot.tls import NATION_ATTRIBUTE

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CONCORD_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CONCORD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CONCORD_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("CONCORD_ARGON2_MEMORY_KIB", "8192")
    assert runner.invoke(app, ["init"]).exit_code == 0
    added = runner.invoke(app, ["user", "add", "irq.scout", "--nation", "IRQ", "--name", "Scout (test)"])
    assert added.exit_code == 0, added.output
    return tmp_path


def test_enroll_writes_certificate_key_and_data_package_then_revoke(env: Path) -> None:
    enrolled = runner.invoke(app, ["cot", "enroll", "irq.scout", "--host", "centre.example"])
    assert enrolled.exit_code == 0, enrolled.output
    directory = env / "data" / "cot" / "irq.scout"
    certificate = x509.load_pem_x509_certificate((directory / "irq.scout.pem").read_bytes())
    assert certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "irq.scout"
    assert certificate.subject.get_attributes_for_oid(NATION_ATTRIBUTE)[0].value == "IRQ"
    assert (directory / "irq.scout.key").stat().st_mode & 0o077 == 0
    with zipfile.ZipFile(directory / "irq.scout.zip") as package:
        assert "centre.example:8089:ssl" in package.read("certs/Concord.pref").decode()

    revoked = runner.invoke(app, ["cot", "revoke", "irq.scout"])
    assert revoked.exit_code == 0, revoked.output
    ca = CertificateAuthority.open_or_create(env / "data" / "cot-ca")
    assert certificate.serial_number in ca.revoked_serials()


def test_a_password_reset_retires_the_certificates_issued_before_it(env: Path) -> None:
    from concord.centre import Centre
    from concord.cot.tls import EPOCH_ATTRIBUTE
    from concord.domain.errors import Unauthenticated
    from concord.settings import Settings

    assert runner.invoke(app, ["appoint", "irq.scout", "field_unit"]).exit_code == 0
    assert runner.invoke(app, ["cot", "enroll", "irq.scout"]).exit_code == 0
    pem = env / "data" / "cot" / "irq.scout" / "irq.scout.pem"
    before = x509.load_pem_x509_certificate(pem.read_bytes())
    assert before.subject.get_attributes_for_oid(EPOCH_ATTRIBUTE)[0].value == "0"
    assert runner.invoke(app, ["user", "reset-password", "irq.scout"]).exit_code == 0
    assert runner.invoke(app, ["cot", "enroll", "irq.scout"]).exit_code == 0
    after = x509.load_pem_x509_certificate(pem.read_bytes())
    assert after.subject.get_attributes_for_oid(EPOCH_ATTRIBUTE)[0].value == "1"
    centre = Centre(Settings())
    try:
        assert centre.tracks.identify("irq.scout", "IRQ", 1).username == "irq.scout"
        with pytest.raises(Unauthenticated):
            centre.tracks.identify("irq.scout", "IRQ", 0)
    finally:
        centre.close()


def test_enrolling_an_unknown_person_fails_with_one_line(env: Path) -> None:
    result = runner.invoke(app, ["cot", "enroll", "no.such.person"])
    assert result.exit_code == 3
    assert "no.such.person" in result.output
