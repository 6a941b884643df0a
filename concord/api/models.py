"""Shared request/response building blocks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from concord.domain import json_limits, times
from concord.domain.errors import Invalid
from concord.domain.markings import Marking

#: The largest id any route accepts: both stores keep ids in signed 64-bit integers.
MAX_ID = 2**63 - 1
#: An item's id (path, query or body): 1 to 2**63-1; anything else is a 422 naming the field.
Id = Annotated[int, Ge(1), Le(MAX_ID)]
#: An item's version number (kept in 32 bits: an item changes far fewer times than that).
Version = Annotated[int, Ge(1), Le(2**31 - 1)]
#: A position in a sequence (a log size, an event id to resume after): 0 to 2**63-1.
Position = Annotated[int, Ge(0), Le(MAX_ID)]

class Strict(BaseModel):
    """Request bodies reject unknown fields: a typo must not be silently ignored. No text in them
    may hold NUL, nor nest deeper than the JSON limit (bodies not read as JSON, e.g. a form field)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _within_json_limits(cls, data: Any) -> Any:
        problem = json_limits.find_problem(data) if isinstance(data, dict) else None
        if problem is not None:
            raise ValueError(f"{problem[0] or 'body'} {problem[1]}")
        return data


def _not_a_number(value: Any) -> Any:
    if times.is_number(value):
        raise ValueError(f"a time is ISO 8601 text, e.g. {times.EXAMPLE}, not a number")
    return value


def _aware_utc(value: datetime) -> datetime:
    try:
        return times.to_utc(value, "time")
    except Invalid as exc:  # pydantic reports ValueError under the field's own name
        raise ValueError(exc.message.removeprefix("time ")) from None


def _day_in_range(value: date) -> date:
    try:
        return times.check_day(value, "day")
    except Invalid as exc:
        raise ValueError(exc.message.removeprefix("day ")) from None


#: A time with its UTC offset, converted to UTC; numbers and times out of range are a 422.
UtcDateTime = Annotated[datetime, BeforeValidator(_not_a_number), AfterValidator(_aware_utc)]
def _not_a_day_number(value: Any) -> Any:
    if times.is_number(value):
        raise ValueError("a day is written YYYY-MM-DD, not a number")
    return value


#: A calendar day written YYYY-MM-DD (never a number).
Day = Annotated[date, BeforeValidator(_not_a_day_number), AfterValidator(_day_in_range)]
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
