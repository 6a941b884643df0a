"""TAK devices of a nation's people: an administrator enrols one (a client certificate from the
centre's CA and a data package to import in ATAK/WinTAK/iTAK), lists them and revokes them.

The same rule as for accounts: administrators manage only their own nation's people
(`Actor.require_admin_of`). Every enrolment and revocation is an event kept inside the nation.
The private key leaves the server once, inside the password-protected package; the password is
shown once and kept nowhere.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from cryptography import x509
from sqlalchemy import Connection

from concord.clock import Clock
from concord.domain.errors import NotFound
from concord.domain.markings import Level, Marking, Tlp
from concord.domain.people import Actor
from concord.storage import people as people_store
from concord.storage.db import Database
from concord.storage.events import append_event


# What the service uses of the TAK gateway's certificate authority (cot/ca.py), as Protocols: the
# gateway is an adapter above the services, so the service names only the shape it needs.
class IssuedCertificate(Protocol):
    @property
    def certificate(self) -> x509.Certificate: ...

    def certificate_pem(self) -> bytes: ...


class CertificateAuthority(Protocol):
    @property
    def certificate(self) -> x509.Certificate: ...

    def revoked_serials(self) -> frozenset[int]: ...

    def issued_to(self, username: str) -> list[x509.Certificate]: ...

    def issue_client(self, username: str, nation: str, *, credential_epoch: int) -> IssuedCertificate: ...

    def revoke(self, serial: int) -> None: ...


#: (issued, CA certificate, username, password) → the data package zip.
PackageBuilder = Callable[[IssuedCertificate, x509.Certificate, str, str], bytes]


@dataclass(frozen=True, slots=True)
class Device:
    serial: str  # hexadecimal, as TAK and openssl print it
    issued_at: datetime
    expires_at: datetime
    revoked: bool


@dataclass(frozen=True, slots=True)
class Enrolment:
    device: Device
    username: str
    password: str  # of the package's PKCS#12 files: shown once
    package: bytes
    certificate_pem: bytes


def _device(certificate: x509.Certificate, revoked: frozenset[int]) -> Device:
    return Device(f"{certificate.serial_number:x}", certificate.not_valid_before_utc.astimezone(UTC),
                  certificate.not_valid_after_utc.astimezone(UTC), certificate.serial_number in revoked)


def _marking(nation: str) -> Marking:
    # Device administration, like account administration, stays inside the nation.
    return Marking.build(Level.UNCLASSIFIED, nation, [nation], Tlp.AMBER_STRICT)


class TakDeviceService:
    def __init__(self, db: Database, clock: Clock, ca: Callable[[], CertificateAuthority],
                 build_package: PackageBuilder) -> None:
        self.db = db
        self.clock = clock
        self._ca = ca
        self._build_package = build_package

    @staticmethod
    def _person(conn: Connection, actor: Actor, person_id: int) -> people_store.PersonRow:
        row = people_store.get_person(conn, person_id)
        if row is None:
            raise NotFound(f"no person {person_id}", field="person_id")
        actor.require_admin_of(row.nation)
        return row

    def devices(self, actor: Actor, person_id: int) -> list[Device]:
        with self.db.read() as conn:
            row = self._person(conn, actor, person_id)
        ca = self._ca()
        revoked = ca.revoked_serials()
        return [_device(c, revoked) for c in ca.issued_to(row.username)]

    def enrol(self, actor: Actor, person_id: int) -> Enrolment:
        with self.db.write() as tx:
            row = self._person(tx.conn, actor, person_id)
            ca = self._ca()
            # The epoch ties the certificate to the account: disabling it or resetting its password
            # makes the TLS listener refuse every certificate issued before.
            issued = ca.issue_client(row.username, row.nation, credential_epoch=row.credential_epoch)
            password = secrets.token_urlsafe(12)
            package = self._build_package(issued, ca.certificate, row.username, password)
            device = _device(issued.certificate, frozenset())
            append_event(tx, at=self.clock.now(), kind="person.tak_enrolled", item_type="person", item_id=row.id,
                         marking=_marking(row.nation), actor_id=actor.person_id, actor_nation=actor.nation,
                         payload={"username": row.username, "serial": device.serial})
        return Enrolment(device, row.username, password, package, issued.certificate_pem())

    def revoke(self, actor: Actor, person_id: int, serial: str) -> Device:
        with self.db.write() as tx:
            row = self._person(tx.conn, actor, person_id)
            ca = self._ca()
            mine = {f"{c.serial_number:x}": c for c in ca.issued_to(row.username)}
            certificate = mine.get(serial.lower())
            if certificate is None:
                raise NotFound(f"no device {serial} of {row.username}", field="serial")
            ca.revoke(certificate.serial_number)
            append_event(tx, at=self.clock.now(), kind="person.tak_revoked", item_type="person", item_id=row.id,
                         marking=_marking(row.nation), actor_id=actor.person_id, actor_nation=actor.nation,
                         payload={"username": row.username, "serial": serial.lower()})
        return _device(certificate, ca.revoked_serials())

