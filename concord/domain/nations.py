"""Nations: partners keyed by ISO 3166-1 alpha-3, each with its own labels for the common levels."""

from __future__ import annotations

from dataclasses import dataclass

from concord.domain.errors import Invalid
from concord.domain.markings import Level, Marking, check_nation_code

DEFAULT_LABELS: dict[str, dict[str, str]] = {
    "TUR": {"UNCLASSIFIED": "TASNİF DIŞI", "RESTRICTED": "HİZMETE ÖZEL", "CONFIDENTIAL": "ÖZEL",
            "SECRET": "GİZLİ"},
    "IRQ": {"UNCLASSIFIED": "غير مصنف", "RESTRICTED": "محدود", "CONFIDENTIAL": "مكتوم", "SECRET": "سري"},
}


@dataclass(frozen=True, slots=True)
class Nation:
    code: str
    name: str
    labels: dict[str, str]

    def label(self, level: Level) -> str:
        return self.labels.get(level.name, level.name)

    def banner(self, marking: Marking) -> str:
        """`SECRET // REL TO TUR, IRQ` in this nation's label for the level."""
        text = self.label(marking.level)
        if marking.tlp.value in ("AMBER+STRICT", "RED") or marking.audience == {marking.originator}:
            return f"{text} // {marking.originator} ONLY // TLP:{marking.tlp.value}"
        return f"{text} // REL TO {', '.join(sorted(marking.audience))} // TLP:{marking.tlp.value}"


def check_labels(labels: dict[str, str]) -> dict[str, str]:
    """Labels map every common level to a non-empty national label (missing ones default to English)."""
    out = {level.name: level.name for level in Level}
    for key, value in labels.items():
        if key not in out:
            raise Invalid(f"unknown classification level {key!r}; expected one of {', '.join(out)}",
                          field=f"labels.{key}")
        if not isinstance(value, str) or not value.strip() or len(value) > 64:
            raise Invalid("a level label is 1 to 64 characters", field=f"labels.{key}")
        out[key] = value.strip()
    return out


def new_nation(code: str, name: str, labels: dict[str, str] | None = None) -> Nation:
    try:
        check_nation_code(code)
    except ValueError as exc:
        raise Invalid(str(exc), field="code") from None
    if not name.strip() or len(name) > 100:
        raise Invalid("a nation's name is 1 to 100 characters", field="name")
    return Nation(code, name.strip(), check_labels(labels if labels is not None else DEFAULT_LABELS.get(code, {})))
