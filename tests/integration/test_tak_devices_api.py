"""TAK devices through the HTTP API: an administrator enrols a person's TAK client (a certificate the
TLS listener accepts and a data package ATAK imports), lists and revokes it; only for the
administrator's own nation."""

from __future__ import annotations

import base64
import io
import zipfile

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from fastapi.testclient import TestClient

from concord.centre import Centre
from concord.cot.tls import identity_from_certificate
from concord.domain.people import Role
from tests.factories import person, sign_in


def test_an_administrator_enrols_lists_and_revokes_a_device(centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin")
    target_id, name = person(centre, "TUR", (Role.FIELD_UNIT,))
    admin = sign_in(client, "tur.admin")
    assert admin.get(f"/api/people/{target_id}/tak-devices").json() == []

    reply = admin.post(f"/api/people/{target_id}/tak-devices")
    assert reply.status_code == 201, reply.text
    made = reply.json()
    certificate = x509.load_pem_x509_certificate(made["certificate_pem"].encode())
    assert f"{certificate.serial_number:x}" == made["device"]["serial"] and made["device"]["revoked"] is False
    # The certificate identifies the person to the TAK listener.
    identity = identity_from_certificate(certificate.public_bytes(Encoding.DER))
    assert centre.tracks.identify(name, identity.nation, identity.credential_epoch).person_id == target_id
    assert centre.cot.ca.certificate_ok(certificate.public_bytes(Encoding.DER))
    # The data package holds the client's certificate and key, opened with the password shown once.
    package = zipfile.ZipFile(io.BytesIO(base64.b64decode(made["package_base64"])))
    assert "MANIFEST/manifest.xml" in package.namelist()
    client_p12 = package.read(f"certs/{name}.p12")
    key, cert, _ = pkcs12.load_key_and_certificates(client_p12, made["password"].encode())
    assert key is not None and cert is not None and cert.serial_number == certificate.serial_number
    assert made["package_filename"].endswith(".zip")

    listed = admin.get(f"/api/people/{target_id}/tak-devices").json()
    assert [(d["serial"], d["revoked"]) for d in listed] == [(made["device"]["serial"], False)]
    revoked = admin.post(f"/api/people/{target_id}/tak-devices/{made['device']['serial']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert not centre.cot.ca.certificate_ok(certificate.public_bytes(Encoding.DER))
    assert [d["revoked"] for d in admin.get(f"/api/people/{target_id}/tak-devices").json()] == [True]
    # Each step is an event kept inside the nation.
    kinds = [e["kind"] for e in admin.get("/api/events?after=0&limit=1000").json()
             if e["kind"].startswith("person.tak_")]
    assert kinds == ["person.tak_enrolled", "person.tak_revoked"]


def test_only_the_persons_own_administrators_manage_its_devices(centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin")
    person(centre, "IRQ", (Role.ADMINISTRATOR,), username="irq.admin")
    person(centre, "TUR", (Role.WATCH_OFFICER,), username="tur.watch")
    target_id, _ = person(centre, "TUR", (Role.FIELD_UNIT,))
    serial = sign_in(client, "tur.admin").post(f"/api/people/{target_id}/tak-devices").json()["device"]["serial"]
    for name in ("irq.admin", "tur.watch"):
        other = sign_in(client, name)
        assert other.get(f"/api/people/{target_id}/tak-devices").status_code == 403
        assert other.post(f"/api/people/{target_id}/tak-devices").status_code == 403
        assert other.post(f"/api/people/{target_id}/tak-devices/{serial}/revoke").status_code == 403
    assert not any(c.serial_number for c in centre.cot.ca.issued_to("irq.admin"))
    assert len(centre.cot.ca.issued_to(centre.people.get(target_id).username)) == 1


def test_unknown_people_and_devices_answer_404_and_bad_serials_422(centre: Centre, client: TestClient) -> None:
    person(centre, "TUR", (Role.ADMINISTRATOR,), username="tur.admin")
    target_id, _ = person(centre, "TUR", (Role.FIELD_UNIT,))
    admin = sign_in(client, "tur.admin")
    assert admin.post(f"/api/people/{2**31 - 1}/tak-devices").status_code == 404
    missing = admin.post(f"/api/people/{target_id}/tak-devices/abc123/revoke")
    assert missing.status_code == 404 and missing.json()["error"]["details"]["field"] == "serial"
    bad = admin.post(f"/api/people/{target_id}/tak-devices/not-hex/revoke")
    assert bad.status_code == 422 and "serial" in bad.text
