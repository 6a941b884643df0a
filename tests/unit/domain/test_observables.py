"""Observable extraction and normalisation for correlation."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from concord.domain.observables import Kind, Observable, extract, normalise, parse_observable

SHA256 = "AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F"


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (Kind.IPV4, " 198.51.100.7 ", "198.51.100.7"),
        (Kind.IPV4, "198.51.100.7/32", "198.51.100.7"),
        (Kind.IPV4, "198.51.100.9/24", "198.51.100.0/24"),
        (Kind.IPV4, "198.051.100.7", None),
        (Kind.IPV4, "2001:db8::1", None),
        (Kind.IPV6, "2001:DB8:0:0::1", "2001:db8::1"),
        (Kind.DOMAIN, "Evil.EXAMPLE.", "evil.example"),
        (Kind.DOMAIN, "bücher.example", "xn--bcher-kva.example"),
        (Kind.DOMAIN, "localhost", None),
        (Kind.DOMAIN, "-bad-.example", None),
        (Kind.URL, "HTTP://Evil.Example:80/a?b=1#frag", "http://evil.example/a?b=1"),
        (Kind.URL, "https://evil.example:8443", "https://evil.example:8443/"),
        (Kind.URL, "http://[2001:DB8::1]/x", "http://[2001:db8::1]/x"),
        (Kind.URL, "not a url", None),
        (Kind.EMAIL, "Ops@Evil.Example", "ops@evil.example"),
        (Kind.EMAIL, "no-at-sign", None),
        (Kind.SHA256, SHA256, SHA256.lower()),
        (Kind.MD5, "xyz", None),
    ],
)
def test_values_are_normalised(kind: Kind, text: str, expected: str | None) -> None:
    assert normalise(kind, text) == expected


def test_scos_yield_their_values_and_hashes() -> None:
    assert extract({"type": "ipv4-addr", "value": "198.51.100.7"}) == {Observable(Kind.IPV4, "198.51.100.7")}
    file_obj = {
        "type": "file",
        "hashes": {"SHA-256": SHA256, "MD5": "d41d8cd98f00b204e9800998ecf8427e", "TLSH": "x"},
    }
    assert extract(file_obj) == {
        Observable(Kind.SHA256, SHA256.lower()),
        Observable(Kind.MD5, "d41d8cd98f00b204e9800998ecf8427e"),
    }


def test_indicator_patterns_yield_equality_values_only() -> None:
    pattern = (
        "[ipv4-addr:value = '198.51.100.7' OR domain-name:value = 'Evil.Example' "
        "OR file:hashes.'SHA-256' = '" + SHA256 + "'] FOLLOWEDBY "
        "[url:value IN ('http://a.example/x', 'http://b.example/') AND email-addr:value != 'ok@good.example']"
    )
    found = extract({"type": "indicator", "pattern_type": "stix", "pattern": pattern})
    assert found == {
        Observable(Kind.IPV4, "198.51.100.7"),
        Observable(Kind.DOMAIN, "evil.example"),
        Observable(Kind.SHA256, SHA256.lower()),
        Observable(Kind.URL, "http://a.example/x"),
        Observable(Kind.URL, "http://b.example/"),
    }


def test_non_stix_patterns_and_plain_sdos_yield_nothing() -> None:
    assert extract({"type": "indicator", "pattern_type": "sigma", "pattern": "title: x"}) == frozenset()
    assert extract({"type": "report", "name": "198.51.100.7"}) == frozenset()


def test_observed_data_embedded_objects_are_read() -> None:
    obj = {"type": "observed-data", "objects": {"0": {"type": "domain-name", "value": "evil.example"}}}
    assert extract(obj) == {Observable(Kind.DOMAIN, "evil.example")}


def test_observables_read_back_from_text() -> None:
    assert parse_observable("domain:Evil.Example") == Observable(Kind.DOMAIN, "evil.example")
    assert str(parse_observable("ipv4:198.51.100.7")) == "ipv4:198.51.100.7"
    for bad in ("evil.example", "color:red", "ipv4:nope"):
        with pytest.raises(ValueError):
            parse_observable(bad)


_OCTETS = st.one_of(
    st.integers(0, 255).map(str),
    st.integers(0, 999).map(str),
    st.integers(0, 255).map(lambda n: f"0{n}"),  # a leading zero: not an address
    st.sampled_from(["", "-1", "+1", "1 ", "٣", "0x1"]),
)


@given(st.lists(_OCTETS, min_size=3, max_size=5).map(".".join))
def test_ipv4_shortcut_agrees_with_ipaddress(text: str) -> None:
    """Canonical IPv4 spellings skip `ipaddress`; the answer is the one `ipaddress` would give."""
    try:
        parsed = ipaddress.ip_address(text.strip())
        expected = parsed.compressed if parsed.version == 4 else None
    except ValueError:
        expected = None
    if "/" not in text:
        assert normalise(Kind.IPV4, text) == expected
