"""STIX 2.1 patterning (STIX 2.1 Part 9): check a pattern and list the comparisons it makes.

The OASIS `stix2-patterns` grammar is the authority. Most indicators in the wild are one or a few
equality comparisons (`[ipv4-addr:value = '198.51.100.7']`); those are recognised by a strict
regular expression that accepts only a subset of the grammar's language (lower-case identifiers,
single-quoted strings, `=` joined by AND/OR inside one observation), which spares the ANTLR parse
that would otherwise dominate ingest. Everything else goes to the grammar. A property test
(tests/unit/domain/test_stix_patterns.py) checks that the two agree on what they both accept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


class PatternError(ValueError):
    """The text is not a valid STIX 2.1 pattern."""


@dataclass(frozen=True, slots=True)
class Comparison:
    object_type: str
    path: tuple[str, ...]
    operator: str
    #: decoded string constants (several for IN); other constants as written
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    comparisons: tuple[Comparison, ...]


# Grammar keywords that the lexer would never read as identifiers (STIXPattern.g4).
_KEYWORDS = frozenset({"true", "false"})
_IDENT = r"[a-z][a-z0-9_]*"
_TYPE = r"[a-z][a-z0-9-]*[a-z0-9]"
_QUOTED_KEY = r"'[^'\\\n]+'"
_LITERAL = r"'(?:[^'\\]|\\['\\])*'"
_CMP = (
    rf"(?P<type>{_TYPE}):(?P<path>{_IDENT}(?:\.(?:{_IDENT}|{_QUOTED_KEY}))*)"
    rf" *= *(?P<value>{_LITERAL})"
)
_CMP_RE = re.compile(_CMP)
_STRING_LITERAL = re.compile(_LITERAL)
# The whole-pattern check repeats the comparison, so it uses an unnamed copy of it.
_CMP_UNNAMED = rf"{_TYPE}:{_IDENT}(?:\.(?:{_IDENT}|{_QUOTED_KEY}))* *= *{_LITERAL}"
_SIMPLE = re.compile(rf"^\[ *{_CMP_UNNAMED}(?: +(?:AND|OR) +{_CMP_UNNAMED})* *\]$")


# The commonest pattern of all, one `value` equality: read in one match, nothing else to check
# (the object validator only looks at hash names).
_ONE_VALUE = re.compile(rf"^\[ *(?P<type>{_TYPE}):value *= *(?P<value>{_LITERAL}) *\]$")

_ESCAPE = re.compile(r"\\(['\\])")
_PATH_PART = re.compile(rf"{_IDENT}|{_QUOTED_KEY}")


def unquote(literal: str) -> str:
    """Decode a STIX pattern string constant: strip the quotes, undo \\' and \\\\."""
    inner = literal[1:-1]
    return _ESCAPE.sub(r"\1", inner) if "\\" in inner else inner


@lru_cache(maxsize=4096)
def compile_pattern(text: str) -> CompiledPattern:
    """Check `text` against STIX 2.1 patterning and return its comparisons; raise `PatternError`."""
    if not isinstance(text, str) or not text.strip():
        raise PatternError("the pattern is empty")
    simple = _compile_simple(text)
    if simple is not None:
        return simple
    return _compile_with_grammar(text)


def _compile_simple(text: str) -> CompiledPattern | None:
    one = _ONE_VALUE.match(text)
    if one is not None and one["type"] not in _KEYWORDS:
        return CompiledPattern((Comparison(one["type"], ("value",), "=", (unquote(one["value"]),)),))
    if _SIMPLE.match(text) is None:
        return None
    comparisons = []
    for match in _CMP_RE.finditer(text):
        path = tuple(_path_parts(match["path"]))
        if match["type"] in _KEYWORDS or any(part in _KEYWORDS for part in path):
            return None
        comparisons.append(Comparison(match["type"], path, "=", (unquote(match["value"]),)))
    from stix2patterns.v21.object_validator import verify_object  # the library: on first use (see stix.py)

    errors = verify_object(_as_pattern_data(comparisons))
    if errors:
        raise PatternError(_clean(errors[0]))
    return CompiledPattern(tuple(comparisons))


def _path_parts(path: str) -> list[str]:
    parts: list[str] = []
    for part in _PATH_PART.findall(path):
        parts.append(part[1:-1] if part.startswith("'") else part)
    return parts


class _PatternData:
    """The shape `stix2patterns`' object validator reads (its inspector's `pattern_data`)."""

    def __init__(self, comparisons: dict[str, list[tuple[list[str], str, str]]]) -> None:
        self.comparisons = comparisons


def _as_pattern_data(comparisons: list[Comparison]) -> _PatternData:
    by_type: dict[str, list[tuple[list[str], str, str]]] = {}
    for c in comparisons:
        by_type.setdefault(c.object_type, []).append((list(c.path), c.operator, f"'{c.values[0]}'"))
    return _PatternData(by_type)


def _compile_with_grammar(text: str) -> CompiledPattern:
    from stix2patterns.exceptions import ParseException
    from stix2patterns.inspector import INDEX_STAR
    from stix2patterns.v21.pattern import Pattern  # the ANTLR parser: imported only when needed
    from stix2patterns.validator import run_validator

    errors = run_validator(text, "2.1")
    if errors:
        raise PatternError(_clean(errors[0]))
    try:
        data = Pattern(text).inspect()
    except ParseException as exc:  # pragma: no cover - run_validator has already accepted it
        raise PatternError(str(exc)) from exc
    comparisons = []
    for object_type, entries in data.comparisons.items():
        for path, operator, constant in entries:
            parts = tuple("*" if p is INDEX_STAR else str(p) for p in path)
            comparisons.append(Comparison(object_type, parts, operator, _constants(constant)))
    return CompiledPattern(tuple(comparisons))


def _constants(constant: str) -> tuple[str, ...]:
    if constant.startswith("("):
        return tuple(unquote(s) for s in _STRING_LITERAL.findall(constant))
    if constant.startswith("'") and constant.endswith("'"):
        return (unquote(constant),)
    return (constant,)


def _clean(message: str) -> str:
    return message.removeprefix("FAIL: ").strip()
