"""TLS for the CoT listener: a server context that requires a client certificate from the
centre's CA, and the identity a certificate carries (CN = username, C = nation)."""

from __future__ import annotations

import ssl
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from concord.cot.session import PeerIdentity
from concord.domain.errors import Invalid
from concord.domain.markings import check_nation_code

#: The subject attribute carrying the nation. X.509 `C` is ISO 3166 alpha-2 only, so the alpha-3
#: code goes in `O` ("organizationName"), next to the centre's name in `OU`.
NATION_ATTRIBUTE = NameOID.ORGANIZATION_NAME
#: The person's credential epoch at issue. X.509 has no attribute for it; `generationQualifier`
#: ("the generation of this name", RFC 5280 §4.1.2.4) is the standard one closest in meaning.
EPOCH_ATTRIBUTE = NameOID.GENERATION_QUALIFIER


def server_context(ca_certificate: Path, certificate: Path, key: Path) -> ssl.SSLContext:
    """TLS 1.2+ server context that demands a client certificate signed by the centre's CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca_certificate))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(str(certificate), str(key))
    return context


def identity_from_certificate(der: bytes) -> PeerIdentity:
    certificate = x509.load_der_x509_certificate(der)
    return PeerIdentity(
        username=_single(certificate.subject, NameOID.COMMON_NAME, "CN"),
        nation=check_nation_code(_single(certificate.subject, NATION_ATTRIBUTE, "O")),
        certificate_serial=certificate.serial_number,
        credential_epoch=_epoch(certificate.subject),
    )


def _epoch(name: x509.Name) -> int:
    values = name.get_attributes_for_oid(EPOCH_ATTRIBUTE)
    if not values:
        return 0  # issued before epochs: valid until the person's first credential change
    value = values[0].value
    text = value if isinstance(value, str) else value.decode("utf-8")
    if not text.isdigit():
        raise Invalid("the certificate's credential epoch is not a number", field="subject.generationQualifier")
    return int(text)


def _single(name: x509.Name, oid: x509.ObjectIdentifier, label: str) -> str:
    values = name.get_attributes_for_oid(oid)
    if len(values) != 1:
        raise Invalid(f"the certificate subject needs exactly one {label}", field=f"subject.{label}")
    value = values[0].value
    return value if isinstance(value, str) else value.decode("utf-8")
