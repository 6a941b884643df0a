"""The correlation index stores digests: they must never change, or stored entries stop matching."""

from __future__ import annotations

from concord.domain.observables import Kind, Observable, digest


def test_the_digest_of_a_value_is_the_one_stored_by_earlier_releases() -> None:
    # blake2b-64 of "ipv4:198.51.100.7" (str of the observable), read as a signed big-endian integer
    assert digest(Observable(Kind.IPV4, "198.51.100.7")) == 67979518144991650


def test_kind_and_value_both_count() -> None:
    assert digest(Observable(Kind.DOMAIN, "relay.example")) != digest(Observable(Kind.URL, "relay.example"))
