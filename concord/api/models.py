"""Shared request/response building blocks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from concord.domain.markings import Marking


class Strict(BaseModel):
    """Request bodies reject unknown fields: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a time must carry its UTC offset, e.g. 2026-11-29T12:00:00Z")
    return value.astimezone(UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_aware_utc)]
NationCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3")]


class MarkingOut(BaseModel):
    level: str
    originator: str
    releasable_to: list[str]
    tlp: str
    caveats: list[str]

    @classmethod
    def of(cls, marking: Marking) -> MarkingOut:
        return cls.model_validate(marking.to_dict())


class MarkingIn(Strict):
    level: Annotated[str, Field(pattern="^(UNCLASSIFIED|RESTRICTED|CONFIDENTIAL|SECRET)$")]
    releasable_to: Annotated[list[NationCode], Field(max_length=200)] = []
    tlp: Annotated[str, Field(pattern="^(CLEAR|GREEN|AMBER|AMBER\\+STRICT|RED)$")] = "AMBER"
    caveats: Annotated[list[Annotated[str, Field(pattern="^ORCON$")]], Field(max_length=5)] = []

    def to_marking(self, originator: str) -> Marking:
        return Marking.build(self.level, originator, self.releasable_to, self.tlp, self.caveats)


def page(items: list[Any], next_cursor: str | None = None) -> dict[str, Any]:
    return {"items": items, "next": next_cursor}
