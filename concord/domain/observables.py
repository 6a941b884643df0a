"""Observable values for correlation: what an object says about addresses, names and hashes.

Values come from Cyber-observable Objects (STIX 2.1 §6), from the SCOs embedded in deprecated
`observed-data.objects`, and from the equality comparisons of STIX indicator patterns. Each value
is normalised so the same thing written two ways is one value (`198.051.100.7` is not an address,
`Evil.EXAMPLE.` is `evil.example`, `HTTP://Evil.Example:80/a` is `http://evil.example/a`).
Values that do not parse as what they claim to be are dropped: correlation only needs the values
it can be sure of.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from hashlib import blake2b
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from concord.domain.stix_patterns import PatternError, compile_pattern


class Kind(StrEnum):
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    DOMAIN = "domain"
    URL = "url"
    EMAIL = "email"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    SHA512 = "sha512"


@dataclass(frozen=True, slots=True, order=True)
class Observable:
    kind: Kind
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


# STIX hash algorithm names (§10.2 hash-algorithm-ov), in the spellings seen in the wild.
_HASH_KINDS = {
    "MD5": Kind.MD5,
    "SHA-1": Kind.SHA1,
    "SHA1": Kind.SHA1,
    "SHA-256": Kind.SHA256,
    "SHA256": Kind.SHA256,
    "SHA-512": Kind.SHA512,
    "SHA512": Kind.SHA512,
}
_HASH_LENGTH = {Kind.MD5: 32, Kind.SHA1: 40, Kind.SHA256: 64, Kind.SHA512: 128}
_HEX = re.compile(r"^[0-9a-f]+$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
_SCO_VALUE_KINDS = {
    "ipv4-addr": Kind.IPV4,
    "ipv6-addr": Kind.IPV6,
    "domain-name": Kind.DOMAIN,
    "url": Kind.URL,
    "email-addr": Kind.EMAIL,
}


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
#: An IPv4 address already in its canonical spelling (what `ipaddress` would write back).
_CANONICAL_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


def normalise(kind: Kind, text: str) -> str | None:
    """The canonical spelling of a value of `kind`, or None if `text` is not one."""
    if not isinstance(text, str):
        return None
    if kind is Kind.IPV4 and _CANONICAL_IPV4.fullmatch(text):
        return text  # the common case: already canonical (no surrounding blanks, no leading zeros)
    text = text.strip()
    if not text:
        return None
    match kind:
        case Kind.IPV4 | Kind.IPV6:
            return _address(kind, text)
        case Kind.DOMAIN:
            return _domain(text)
        case Kind.URL:
            return _url(text)
        case Kind.EMAIL:
            return _email(text)
        case _:
            value = text.lower()
            return value if len(value) == _HASH_LENGTH[kind] and _HEX.match(value) else None


def _address(kind: Kind, text: str) -> str | None:
    try:
        if "/" in text:
            network = ipaddress.ip_network(text, strict=False)
            if network.num_addresses == 1:
                address = network.network_address
            else:
                return str(network) if _address_kind(network.version) is kind else None
        else:
            address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return address.compressed if _address_kind(address.version) is kind else None


def _address_kind(version: int) -> Kind:
    return Kind.IPV4 if version == 4 else Kind.IPV6


def _domain(text: str) -> str | None:
    name = text.rstrip(".").lower()
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    return name


def _url(text: str) -> str | None:
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not scheme or not parts.hostname:
        return None
    host = (
        _domain(parts.hostname) or _address(Kind.IPV4, parts.hostname) or _address(Kind.IPV6, parts.hostname)
    )
    if host is None:
        return None
    if ":" in host:
        host = f"[{host}]"
    default_port = {"http": 80, "https": 443, "ftp": 21}.get(scheme)
    netloc = host if port is None or port == default_port else f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    # The fragment never reaches the server, so it does not make two URLs different resources.
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _email(text: str) -> str | None:
    if not _EMAIL.match(text):
        return None
    local, _, domain = text.rpartition("@")
    host = _domain(domain)
    return f"{local.lower()}@{host}" if host else None


def _make(kind: Kind, text: Any) -> Observable | None:
    value = normalise(kind, text) if isinstance(text, str) else None
    return Observable(kind, value) if value is not None else None


def from_sco(sco: Mapping[str, Any]) -> Iterator[Observable]:
    """The observable values of one Cyber-observable Object."""
    obj_type = sco.get("type")
    kind = _SCO_VALUE_KINDS.get(obj_type) if isinstance(obj_type, str) else None
    if kind is not None:
        found = _make(kind, sco.get("value"))
        if found is not None:
            yield found
    if obj_type in ("file", "artifact", "x509-certificate"):
        hashes = sco.get("hashes")
        if isinstance(hashes, Mapping):
            for algorithm, digest in hashes.items():
                hash_kind = _HASH_KINDS.get(str(algorithm).upper())
                if hash_kind is not None:
                    found = _make(hash_kind, digest)
                    if found is not None:
                        yield found


def from_pattern(pattern: str) -> Iterator[Observable]:
    """The values an indicator's STIX pattern tests for equality (`=` and `IN`)."""
    try:
        compiled = compile_pattern(pattern)
    except PatternError:
        return
    for comparison in compiled.comparisons:
        if comparison.operator not in ("=", "IN"):
            continue
        kind = _kind_of_path(comparison.object_type, comparison.path)
        if kind is None:
            continue
        for constant in comparison.values:
            found = _make(kind, constant)
            if found is not None:
                yield found


def _kind_of_path(object_type: str, path: tuple[str, ...]) -> Kind | None:
    if path == ("value",):
        return _SCO_VALUE_KINDS.get(object_type)
    if len(path) == 2 and path[0] == "hashes" and object_type in ("file", "artifact", "x509-certificate"):
        return _HASH_KINDS.get(path[1].upper())
    return None


def extract(obj: Mapping[str, Any]) -> frozenset[Observable]:
    """All observable values a STIX object carries (empty for objects that carry none)."""
    found: set[Observable] = set()
    obj_type = obj.get("type")
    if obj_type == "indicator" and obj.get("pattern_type") == "stix" and isinstance(obj.get("pattern"), str):
        found.update(from_pattern(obj["pattern"]))
    elif obj_type == "observed-data" and isinstance(obj.get("objects"), Mapping):
        for embedded in obj["objects"].values():
            if isinstance(embedded, Mapping):
                found.update(from_sco(embedded))
    else:
        found.update(from_sco(obj))
    return frozenset(found)


def digest(observable: Observable) -> int:
    """A signed 64-bit digest of a normalised value, the correlation index's key (fits BIGINT).

    blake2b-64 of `str(observable)` ("kind:value"), spelled out: formatting the enum costs more than
    the hash. Stored in every index entry, so it must never change (a test pins one value).
    """
    text = observable.kind.value + ":" + observable.value
    return int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


def digests(values: Iterable[Observable]) -> dict[Observable, int]:
    """Each value with its digest."""
    return {value: digest(value) for value in values}


def parse_observable(text: str) -> Observable:
    """Read `kind:value` (as `str(Observable)` writes it), normalising the value; ValueError if bad."""
    kind_text, sep, value = text.partition(":")
    if not sep:
        raise ValueError("an observable is written kind:value")
    try:
        kind = Kind(kind_text.lower())
    except ValueError as exc:
        raise ValueError(f"unknown observable kind {kind_text!r}; one of {', '.join(Kind)}") from exc
    found = _make(kind, value)
    if found is None:
        raise ValueError(f"{value!r} is not a valid {kind}")
    return found

