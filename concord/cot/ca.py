"""The centre's own certificate authority for TAK clients (X.509 with `cryptography`).

Files under one directory (kept private: keys are written 0600):

    ca.pem, ca.key           the CA (self-signed, path length 0)
    server.pem, server.key   the CoT TLS listener's certificate
    issued/<serial>.pem      every client certificate issued (for revocation by user)
    crl.pem                  the current certificate revocation list, re-signed on each revocation

Client certificates carry the person: CN = username, O = nation (ISO 3166-1 alpha-3; X.509's `C`
takes only alpha-2), OU = the centre. The listener checks the CRL on every connect, so a
revocation takes effect for the next connection without a restart.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from concord.cot.tls import EPOCH_ATTRIBUTE, NATION_ATTRIBUTE
from concord.domain.errors import Invalid, NotFound
from concord.domain.markings import check_nation_code

CENTRE_UNIT = "Concord"
#: RSA 2048 because that is what TAK Server's own tooling issues and every TAK client accepts.
KEY_BITS = 2048


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class IssuedCertificate:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def serial(self) -> int:
        return self.certificate.serial_number

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())

    def pkcs12(self, password: str, ca: x509.Certificate) -> bytes:
        return pkcs12.serialize_key_and_certificates(
            self.certificate.subject.rfc4514_string().encode(), self.key, self.certificate, [ca],
            _p12_encryption(password))


def _p12_encryption(password: str) -> serialization.KeySerializationEncryption:
    # PBES1 with 3DES and SHA-1 MAC: the PKCS#12 flavour Android's keystore (ATAK) still requires.
    return (serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(50_000)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())  # noqa: S303 - required by the Android keystore, not our choice
            .build(password.encode()))


def truststore_p12(ca: x509.Certificate, password: str) -> bytes:
    """The CA certificate alone in a PKCS#12 file, as TAK clients import their trust store."""
    return pkcs12.serialize_key_and_certificates(b"concord-ca", None, None, [ca], _p12_encryption(password))


class CertificateAuthority:
    def __init__(self, directory: Path, clock: Callable[[], datetime] = utc_now):
        self.directory = directory
        self._clock = clock
        self._crl_cache: tuple[float, frozenset[int]] | None = None
        self.certificate = x509.load_pem_x509_certificate(self.ca_certificate_path.read_bytes())
        loaded = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise Invalid("the CA key must be RSA", field="ca.key")
        self._key = loaded

    # --- creation -----------------------------------------------------------------------------

    @classmethod
    def open_or_create(cls, directory: Path, name: str = "Concord CoT CA",
                       clock: Callable[[], datetime] = utc_now) -> CertificateAuthority:
        if not (directory / "ca.pem").exists():
            cls._create(directory, name, clock())
        return cls(directory, clock)

    @classmethod
    def _create(cls, directory: Path, name: str, now: datetime) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "issued").mkdir(exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                             x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, CENTRE_UNIT)])
        certificate = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         key_cert_sign=True, crl_sign=True, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        _write_private(directory / "ca.key", IssuedCertificate(certificate, key).key_pem())
        (directory / "ca.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))

    def fingerprint(self) -> str:
        """SHA-256 of the CA certificate (DER), as TAK clients and `openssl x509 -fingerprint` show it."""
        return self.certificate.fingerprint(hashes.SHA256()).hex()

    # --- paths --------------------------------------------------------------------------------

    @property
    def ca_certificate_path(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def crl_path(self) -> Path:
        return self.directory / "crl.pem"

    def server_files(self, hostnames: Iterable[str] = ("localhost", "127.0.0.1")) -> tuple[Path, Path]:
        """The listener's certificate and key, issued on first use."""
        cert_path, key_path = self.directory / "server.pem", self.directory / "server.key"
        if not cert_path.exists():
            names = list(hostnames)
            subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0]),
                                 x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, CENTRE_UNIT)])
            issued = self._issue(subject, ExtendedKeyUsageOID.SERVER_AUTH, timedelta(days=825), names)
            _write_private(key_path, issued.key_pem())
            cert_path.write_bytes(issued.certificate_pem())
        return cert_path, key_path

    # --- client certificates ------------------------------------------------------------------

    def issue_client(self, username: str, nation: str, days: int = 365, *,
                     credential_epoch: int = 0) -> IssuedCertificate:
        if not username or len(username) > 64:
            raise Invalid("username must be 1..64 characters", field="username")
        try:
            check_nation_code(nation)
        except ValueError as exc:
            raise Invalid(str(exc), field="nation") from None
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, username),
                             x509.NameAttribute(NATION_ATTRIBUTE, nation),
                             x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, CENTRE_UNIT),
                             x509.NameAttribute(EPOCH_ATTRIBUTE, str(credential_epoch))])
        issued = self._issue(subject, ExtendedKeyUsageOID.CLIENT_AUTH, timedelta(days=days), [])
        (self.directory / "issued").mkdir(exist_ok=True)
        (self.directory / "issued" / f"{issued.serial:x}.pem").write_bytes(issued.certificate_pem())
        return issued

    def issued_to(self, username: str) -> list[x509.Certificate]:
        found = []
        for path in sorted((self.directory / "issued").glob("*.pem")):
            certificate = x509.load_pem_x509_certificate(path.read_bytes())
            names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            if names and names[0].value == username:
                found.append(certificate)
        return found

    def _issue(self, subject: x509.Name, usage: x509.ObjectIdentifier, lifetime: timedelta,
               hostnames: list[str]) -> IssuedCertificate:
        now = self._clock()
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        builder = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(self.certificate.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + lifetime)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                           critical=False)
        )
        if hostnames:
            alternative_names = x509.SubjectAlternativeName([_general_name(h) for h in hostnames])
            builder = builder.add_extension(alternative_names, critical=False)
        return IssuedCertificate(builder.sign(self._key, hashes.SHA256()), key)

    # --- revocation ---------------------------------------------------------------------------

    def revoke_user(self, username: str) -> list[int]:
        """Revoke every certificate issued to `username`; return their serials."""
        serials = [c.serial_number for c in self.issued_to(username)]
        if not serials:
            raise NotFound(f"no certificate was issued to {username!r}", field="username")
        self._write_crl(self.revoked_serials() | set(serials))
        return serials

    def revoke(self, serial: int) -> None:
        self._write_crl(self.revoked_serials() | {serial})

    def revoked_serials(self) -> frozenset[int]:
        if not self.crl_path.exists():
            return frozenset()
        mtime = self.crl_path.stat().st_mtime_ns
        if self._crl_cache is None or self._crl_cache[0] != mtime:
            crl = x509.load_pem_x509_crl(self.crl_path.read_bytes())
            if not crl.is_signature_valid(self._key.public_key()):
                raise Invalid("the CRL is not signed by this CA", field="crl.pem")
            self._crl_cache = (mtime, frozenset(r.serial_number for r in crl))
        return self._crl_cache[1]

    def certificate_ok(self, der: bytes) -> bool:
        """For the TLS listener: issued by this CA (checked again here) and not revoked."""
        certificate = x509.load_der_x509_certificate(der)
        try:
            certificate.verify_directly_issued_by(self.certificate)
        except (InvalidSignature, ValueError, TypeError):
            return False
        return certificate.serial_number not in self.revoked_serials()

    def _write_crl(self, serials: set[int] | frozenset[int]) -> None:
        now = self._clock()
        builder = (x509.CertificateRevocationListBuilder().issuer_name(self.certificate.subject)
                   .last_update(now).next_update(now + timedelta(days=7)))
        for serial in sorted(serials):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build())
        crl = builder.sign(self._key, hashes.SHA256())
        temporary = self.crl_path.with_suffix(".tmp")
        temporary.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
        temporary.replace(self.crl_path)   # readers never see a half-written CRL
        self._crl_cache = None


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
