"""The centre's CA: client certificates carry the person, revocation bites on the next connect,
the data package holds what a TAK client imports."""

from __future__ import annotations

import asyncio
import ssl
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from defusedxml.ElementTree import fromstring

from concord.cot.ca import CertificateAuthority
from concord.cot.datapackage import build_data_package
from concord.cot.listener import CotListener
from concord.cot.relay import BroadcastRouter
from concord.cot.tls import identity_from_certificate, server_context
from concord.domain.errors import Invalid, NotFound

from .cot_client import RawClient
from .cot_samples import position_xml


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> CertificateAuthority:
    return CertificateAuthority.open_or_create(tmp_path_factory.mktemp("ca"))


def client_context(ca: CertificateAuthority, directory: Path, username: str, nation: str) -> ssl.SSLContext:
    issued = ca.issue_client(username, nation)
    (directory / f"{username}.pem").write_bytes(issued.certificate_pem())
    (directory / f"{username}.key").write_bytes(issued.key_pem())
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca.ca_certificate_path))
    context.load_cert_chain(str(directory / f"{username}.pem"), str(directory / f"{username}.key"))
    return context


def test_client_certificate_names_the_user_and_nation(ca: CertificateAuthority) -> None:
    issued = ca.issue_client("ayse.kaya", "TUR")
    from cryptography.hazmat.primitives.serialization import Encoding
    identity = identity_from_certificate(issued.certificate.public_bytes(Encoding.DER))
    assert (identity.username, identity.nation) == ("ayse.kaya", "TUR")
    assert identity.certificate_serial == issued.serial
    assert ca.certificate_ok(issued.certificate.public_bytes(Encoding.DER))


def test_bad_enrolment_input_names_the_field(ca: CertificateAuthority) -> None:
    with pytest.raises(Invalid) as caught:
        ca.issue_client("someone", "Turkey")
    assert caught.value.field == "nation"
    with pytest.raises(NotFound):
        ca.revoke_user("never-enrolled")


def test_reopening_the_ca_keeps_it(ca: CertificateAuthority) -> None:
    again = CertificateAuthority.open_or_create(ca.directory)
    assert again.certificate == ca.certificate


def test_tls_listener_accepts_enrolled_clients_and_refuses_revoked_ones(ca: CertificateAuthority,
                                                                      tmp_path: Path) -> None:
    server_cert, server_key = ca.server_files()
    context = server_context(ca.ca_certificate_path, server_cert, server_key)
    tur = client_context(ca, tmp_path, "field-tur-1", "TUR")
    irq = client_context(ca, tmp_path, "field-irq-1", "IRQ")
    stranger_ca = CertificateAuthority.open_or_create(tmp_path / "other-ca")
    stranger = client_context(stranger_ca, tmp_path, "intruder", "TUR")
    stranger.load_verify_locations(str(ca.ca_certificate_path))

    async def main() -> CotListener:
        listener = CotListener(BroadcastRouter())
        server = await listener.start_tls("127.0.0.1", 0, context, ca.certificate_ok)
        port = server.sockets[0].getsockname()[1]
        try:
            a = await RawClient.connect(port, tur)
            b = await RawClient.connect(port, irq)
            for client in (a, b):
                await client.wait_for(lambda e: e.type == "t-x-takp-v")
            assert {(s.identity.username, s.identity.nation) for s in listener.sessions} == {
                ("field-tur-1", "TUR"), ("field-irq-1", "IRQ")}
            await a.send(position_xml(uid="tur-unit"))
            await b.wait_for(lambda e: e.uid == "tur-unit")
            await a.close()
            await b.close()

            # A certificate from another CA never completes the handshake.
            with pytest.raises((ssl.SSLError, ConnectionError)):
                intruder = await RawClient.connect(port, stranger)
                await intruder.wait_for(lambda e: True, timeout=2)

            ca.revoke_user("field-irq-1")
            revoked = await RawClient.connect(port, irq)      # TLS completes; the CRL check closes it
            with pytest.raises(ConnectionError):
                await revoked.wait_for(lambda e: True, timeout=2)
            await revoked.close()
            still_ok = await RawClient.connect(port, tur)
            await still_ok.wait_for(lambda e: e.type == "t-x-takp-v")
            await still_ok.close()
        finally:
            await listener.stop()
        return listener

    asyncio.run(main())


def test_data_package_holds_manifest_preferences_and_both_keystores(ca: CertificateAuthority) -> None:
    issued = ca.issue_client("field-tur-2", "TUR")
    package = build_data_package(issued, ca.certificate, "field-tur-2", "concord.example", 8089, "s3cret")
    with zipfile.ZipFile(BytesIO(package)) as archive:
        names = set(archive.namelist())
        assert names == {"MANIFEST/manifest.xml", "certs/Concord.pref", "certs/truststore.p12",
                         "certs/field-tur-2.p12"}
        manifest = fromstring(archive.read("MANIFEST/manifest.xml"))
        assert {c.get("zipEntry") for c in manifest.iter("Content")} == names - {"MANIFEST/manifest.xml"}
        prefs = fromstring(archive.read("certs/Concord.pref"))
        entries = {e.get("key"): e.text for e in prefs.iter("entry")}
        assert entries["connectString0"] == "concord.example:8089:ssl"
        assert entries["certificateLocation"] == "cert/field-tur-2.p12"
        client_p12 = archive.read("certs/field-tur-2.p12")
        key, certificate, _ = pkcs12.load_key_and_certificates(client_p12, b"s3cret")
        assert certificate is not None and certificate.serial_number == issued.serial and key is not None
        trust = pkcs12.load_pkcs12(archive.read("certs/truststore.p12"), b"s3cret")
        assert [c.certificate for c in trust.additional_certs] == [ca.certificate]
