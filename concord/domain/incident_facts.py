"""What an incident report states: category vocabulary, location, counts and links.

Kept apart from the lifecycle (`concord.domain.incidents`) because the same facts are read by the
SITREP and its map, which care nothing for acknowledgements.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from concord.domain import coordination_fields as f
from concord.domain.errors import Invalid

T = TypeVar("T")
LANGUAGES = ("en", "tr", "ar")
CATEGORY_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")

#: The controlled vocabulary every centre starts with; a centre may add its own codes.
DEFAULT_CATEGORIES: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "border_violation": {"en": "Border violation", "tr": "Sınır ihlali", "ar": "انتهاك حدودي"},
    "armed_attack": {"en": "Armed attack", "tr": "Silahlı saldırı", "ar": "هجوم مسلح"},
    "explosive_device": {"en": "Explosive device", "tr": "Patlayıcı düzenek", "ar": "عبوة ناسفة"},
    "smuggling": {"en": "Smuggling", "tr": "Kaçakçılık", "ar": "تهريب"},
    "kidnapping": {"en": "Kidnapping", "tr": "Adam kaçırma", "ar": "اختطاف"},
    "civilian_displacement": {"en": "Displacement of civilians", "tr": "Sivillerin yerinden edilmesi",
                              "ar": "تهجير المدنيين"},
    "infrastructure_damage": {"en": "Infrastructure damage", "tr": "Altyapı hasarı",
                              "ar": "أضرار في البنية التحتية"},
    "other": {"en": "Other", "tr": "Diğer", "ar": "أخرى"},
})


@dataclass(frozen=True, slots=True)
class CategoryVocabulary:
    """Incident categories: a closed list at any moment, extended only on purpose (`with_category`)."""

    labels: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: DEFAULT_CATEGORIES)

    def check(self, code: Any, field_name: str = "category") -> str:
        if not isinstance(code, str) or code not in self.labels:
            raise Invalid(f"unknown incident category {code!r}; expected one of {', '.join(self.labels)}",
                          field=field_name)
        return code

    def label(self, code: str, language: str = "en") -> str:
        names = self.labels.get(code, {})
        return names.get(language) or names.get("en") or code

    def with_category(self, code: str, names: Mapping[str, str]) -> CategoryVocabulary:
        if not CATEGORY_CODE.match(code):
            raise Invalid("a category code is 2 to 40 lower-case letters, digits or _", field="code")
        if code in self.labels:
            raise Invalid(f"category {code!r} already exists", field="code")
        if not names.get("en"):
            raise Invalid("a category needs at least an English name", field="names.en")
        clean = {lang: f.text(names[lang], f"names.{lang}", max_length=80)
                 for lang in LANGUAGES if names.get(lang)}
        return CategoryVocabulary(MappingProxyType({**self.labels, code: clean}))


#: Counts a report may state. People first, then damage.
COUNT_FIELDS = ("killed", "injured", "missing", "abducted", "displaced",
                "structures_damaged", "vehicles_damaged")


@dataclass(frozen=True, slots=True)
class Counts:
    """Reported casualties and damage. Absent means "not reported", which is not the same as 0."""

    values: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: Any, field_name: str = "counts") -> Counts:
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise Invalid(f"{field_name} must be an object such as {{\"killed\": 0}}", field=field_name)
        for key in raw:
            if key not in COUNT_FIELDS:
                raise Invalid(f"unknown count {key!r}; expected any of {', '.join(COUNT_FIELDS)}",
                              field=f"{field_name}.{key}")
        return cls({k: f.count(raw[k], f"{field_name}.{k}") for k in COUNT_FIELDS if raw.get(k) is not None})

    def get(self, key: str) -> int | None:
        return self.values.get(key)

    @property
    def casualties(self) -> int:
        return sum(self.values.get(k, 0) for k in ("killed", "injured", "missing", "abducted"))

    def to_dict(self) -> dict[str, int]:
        return dict(self.values)


@dataclass(frozen=True, slots=True)
class Location:
    """A GeoJSON (RFC 7946) Point, Polygon or MultiPolygon in WGS 84 longitude/latitude."""

    geojson: Mapping[str, Any]

    @classmethod
    def parse(cls, raw: Any, field_name: str = "location") -> Location:
        if isinstance(raw, Mapping) and raw.get("type") == "Feature":
            raw = raw.get("geometry")
        if not isinstance(raw, Mapping) or raw.get("type") not in ("Point", "Polygon", "MultiPolygon"):
            raise Invalid(f"{field_name} must be a GeoJSON Point, Polygon or MultiPolygon", field=field_name)
        coordinates = raw.get("coordinates")
        _check_positions(coordinates, field_name)
        try:
            geometry = shape({"type": raw["type"], "coordinates": coordinates})
        except Exception:  # shapely raises several types for malformed nesting
            raise Invalid(f"{field_name} has malformed coordinates for a {raw['type']}",
                          field=field_name) from None
        if geometry.is_empty or not geometry.is_valid:
            raise Invalid(f"{field_name} is not a valid {raw['type']} (self-intersecting or degenerate)",
                          field=field_name)
        return cls(MappingProxyType({"type": raw["type"], "coordinates": _as_lists(coordinates)}))

    @property
    def geometry(self) -> BaseGeometry:
        return shape(dict(self.geojson))

    @property
    def is_area(self) -> bool:
        return bool(self.geojson["type"] != "Point")

    @property
    def anchor(self) -> tuple[float, float]:
        """A representative (lon, lat) inside the location, for a map marker or a list."""
        point = self.geometry.representative_point()
        return (point.x, point.y)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        b = self.geometry.bounds
        return (b[0], b[1], b[2], b[3])

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.geojson["type"], "coordinates": self.geojson["coordinates"]}


def _check_positions(node: Any, field_name: str) -> None:
    """Every position is [longitude, latitude] (optionally altitude) within WGS 84 bounds."""
    if not isinstance(node, list | tuple) or not node:
        raise Invalid(f"{field_name} has missing or empty coordinates", field=field_name)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in node):
        if len(node) not in (2, 3) or not all(math.isfinite(v) for v in node):
            raise Invalid(f"{field_name}: a position is [longitude, latitude]", field=field_name)
        lon, lat = node[0], node[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise Invalid(f"{field_name}: position {lon}, {lat} is outside longitude -180..180 / "
                          "latitude -90..90", field=field_name)
        return
    for child in node:
        _check_positions(child, field_name)


def _as_lists(node: Any) -> Any:
    return [_as_lists(c) for c in node] if isinstance(node, list | tuple) else float(node)


@dataclass(frozen=True, slots=True)
class Links:
    """What an incident is connected to: STIX objects, operations, other incidents."""

    intel: tuple[str, ...] = ()
    operations: tuple[int, ...] = ()
    incidents: tuple[int, ...] = ()

    @classmethod
    def parse(cls, raw: Any, field_name: str = "links") -> Links:
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise Invalid(f"{field_name} must be an object with intel, operations and incidents lists",
                          field=field_name)
        for key in raw:
            if key not in ("intel", "operations", "incidents"):
                raise Invalid(f"unknown link kind {key!r}", field=f"{field_name}.{key}")
        intel = _unique(f.stix_id(v, f"{field_name}.intel[{i}]") for i, v in enumerate(_list(raw, "intel")))
        ops = _unique(f.positive_id(v, f"{field_name}.operations[{i}]")
                      for i, v in enumerate(_list(raw, "operations")))
        incs = _unique(f.positive_id(v, f"{field_name}.incidents[{i}]")
                       for i, v in enumerate(_list(raw, "incidents")))
        return cls(tuple(intel), tuple(ops), tuple(incs))

    def to_dict(self) -> dict[str, list[Any]]:
        return {"intel": list(self.intel), "operations": list(self.operations),
                "incidents": list(self.incidents)}


def _list(raw: Mapping[str, Any], key: str) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise Invalid(f"links.{key} must be a list", field=f"links.{key}")
    if len(value) > 200:
        raise Invalid(f"links.{key} holds at most 200 links", field=f"links.{key}")
    return value


def _unique(values: Iterable[T]) -> list[T]:
    seen: list[T] = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen
