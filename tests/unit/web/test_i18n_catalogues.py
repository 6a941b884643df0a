"""Every visible string of the web interface is translated: the English, Turkish and Arabic catalogues
hold the same keys with the same placeholders, and every key the source uses (a literal in `t("…")`
or `tk("…")`, see web/src/i18n/index.ts) exists in all three."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.unit.web.test_server_codes import server_codes

WEB = Path(__file__).resolve().parents[3] / "web"
CATALOGUES = WEB / "src" / "i18n"
LANGS = ("en", "tr", "ar")
KEY_CALL = re.compile(r"""\bt[k]?\(\s*(["'`])([^"'`]+)\1""")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
ARABIC_LETTER = re.compile(r"[\u0600-\u06FF]")
# Military terms keep their standard abbreviations in every language (FLASH, IMMEDIATE, RFI, TLP, ...).
ABBREVIATION = re.compile(r"^[A-Z0-9 +/:&'.-]+$")


def load(lang: str) -> dict[str, str]:
    data = json.loads((CATALOGUES / f"{lang}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def keys_used(source: str) -> set[str]:
    return {m.group(2) for m in KEY_CALL.finditer(source)}


def source_keys() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for path in sorted((WEB / "src").rglob("*.ts*")):
        for key in keys_used(path.read_text(encoding="utf-8")):
            used.setdefault(key, set()).add(path.name)
    return used


def test_the_scanner_finds_keys_in_calls() -> None:
    src = 'x = t("a.b"); y = tk(\'c.d\'); z = t(`e.f`, { n: 1 }); not = at("g.h"); w = t(variable);'
    assert keys_used(src) == {"a.b", "c.d", "e.f"}


@pytest.mark.parametrize("lang", LANGS)
def test_every_catalogue_has_every_key(lang: str) -> None:
    english = load("en")
    other = load(lang)
    assert sorted(set(english) - set(other)) == [], f"missing in {lang}.json"
    assert sorted(set(other) - set(english)) == [], f"in {lang}.json but not in en.json"


@pytest.mark.parametrize("lang", LANGS)
def test_no_value_is_empty_and_placeholders_match(lang: str) -> None:
    english = load("en")
    for key, text in load(lang).items():
        assert text.strip(), f"{lang}.json {key} is empty"
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(english[key])), f"{lang}.json {key}"


@pytest.mark.parametrize("lang", ("tr", "ar"))
def test_translations_are_not_english_left_in_place(lang: str) -> None:
    english = load("en")
    for key, text in load(lang).items():
        if ABBREVIATION.match(text):
            continue
        assert text != english[key], f"{lang}.json {key} is the English text"
        if lang == "ar":
            assert ARABIC_LETTER.search(text), f"ar.json {key} has no Arabic text: {text!r}"


def test_every_key_used_in_the_source_is_in_every_catalogue() -> None:
    used = source_keys()
    assert used, "the scanner found no keys: the source layout changed"
    for lang in LANGS:
        catalogue = load(lang)
        missing = {key: sorted(files) for key, files in used.items() if key not in catalogue}
        assert missing == {}, f"keys used in the source but missing from {lang}.json"


def test_every_catalogue_key_is_used() -> None:
    # Server codes are looked up by prefix and code (web/src/codes.ts), not written out literally.
    unused = sorted(set(load("en")) - set(source_keys()) - server_codes())
    assert unused == [], "catalogue keys no screen uses (remove them or use them)"
