"""STIX patterns: the fast recogniser agrees with the OASIS grammar on everything it accepts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stix2patterns.validator import run_validator

from concord.domain.stix_patterns import PatternError, _compile_simple, _compile_with_grammar, compile_pattern


@pytest.mark.parametrize(
    "pattern",
    [
        "[ipv4-addr:value = '198.51.100.7']",
        "[domain-name:value = 'evil.example' OR url:value = 'http://evil.example/a']",
        "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
        "[email-addr:value = 'o\\'brien@evil.example']",
        "[url:value IN ('http://a.example/', 'http://b.example/')] WITHIN 10 SECONDS",
        "[ipv4-addr:value ISSUBSET '198.51.100.0/24'] FOLLOWEDBY [domain-name:value MATCHES '^a']",
        "[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]",
    ],
)
def test_valid_patterns_compile(pattern: str) -> None:
    assert compile_pattern(pattern).comparisons


@pytest.mark.parametrize(
    "pattern",
    [
        "",
        "ipv4-addr:value = '1.2.3.4'",
        "[ipv4-addr:value = '1.2.3.4'",
        "[ipv4-addr:value === '1.2.3.4']",
        "[file:hashes.MD5 = 'not-hex']",
        "[x:true = 'a']",
        "[ipv4-addr:value = '1'] WITHIN 5 SECONDS WITHIN 6 SECONDS",
    ],
)
def test_invalid_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(PatternError):
        compile_pattern(pattern)


def test_comparisons_decode_string_constants() -> None:
    compiled = compile_pattern("[email-addr:value = 'o\\'brien@x.example' AND file:name = 'ab\\\\c']")
    assert [(c.object_type, c.path, c.values) for c in compiled.comparisons] == [
        ("email-addr", ("value",), ("o'brien@x.example",)),
        ("file", ("name",), ("ab\\c",)),
    ]


def test_the_grammar_reads_in_lists() -> None:
    compiled = compile_pattern("[url:value IN ('http://a.example/', 'http://b.example/')]")
    assert compiled.comparisons[0].operator == "IN"
    assert compiled.comparisons[0].values == ("http://a.example/", "http://b.example/")


_types = st.sampled_from(["ipv4-addr", "domain-name", "url", "file", "email-addr", "x-thing", "a1", "true"])
_paths = st.sampled_from(["value", "name", "hashes.MD5", "hashes.'SHA-256'", "a_b.c", "true", "value.false"])
_strings = st.text(alphabet=st.sampled_from(list("ab19.-'\\ :@[]")), max_size=12)
_literals = _strings.map(lambda s: "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'") | _strings.map(
    lambda s: "'" + s + "'"
)
_comparison = st.builds(
    lambda t, p, sp, v: f"{t}:{p}{sp}={sp}{v}", _types, _paths, st.sampled_from(["", " ", "  "]), _literals
)
_pattern = st.builds(
    lambda first, rest, pad: "[" + pad + first + "".join(f" {op} {c}" for op, c in rest) + pad + "]",
    _comparison,
    st.lists(st.tuples(st.sampled_from(["AND", "OR", "and"]), _comparison), max_size=3),
    st.sampled_from(["", " "]),
)


@settings(max_examples=300, deadline=None)
@given(_pattern)
def test_fast_path_accepts_only_what_the_grammar_accepts(pattern: str) -> None:
    try:
        fast = _compile_simple(pattern)
    except PatternError:
        assert run_validator(pattern, "2.1"), pattern  # the fast path refused: so does the grammar
        return
    if fast is None:
        return  # not in the simple subset: the grammar decides
    assert run_validator(pattern, "2.1") == [], pattern
    slow = _compile_with_grammar(pattern)
    assert sorted(fast.comparisons, key=repr) == sorted(slow.comparisons, key=repr)
