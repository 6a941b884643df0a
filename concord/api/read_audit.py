"""Audited reads by construction (docs/audit.md).

Every API route is an `AuditedRoute` (`api_router` makes the routers; a test fails on any other).
When a GET endpoint of a signed-in person returns, the route looks through what it returned for
`MarkedOut` items (response models of one marked item) and records the read of those at or above
the audit level, in one unit of work per request, before the response leaves. A route does nothing
to be audited. What a route returns that is not such a model (a streamed file or bundle, a track's
positions) it records itself through `AuditService.record_returned`, and the route walk
(tests/integration/test_route_walk.py) fails when a read of a marked item leaves no entry.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

from fastapi import APIRouter
from fastapi.routing import APIRoute
from pydantic import BaseModel

from concord.api.models import MarkingOut
from concord.domain.markings import Level, Marking
from concord.domain.people import Actor
from concord.services.audit import ReadItem


class MarkedOut(BaseModel):
    """The response model of one marked item: `audit_type` is its kind in the audit log; `audited_as`
    gives its id and marking (by default the fields `audit_id` and `marking`)."""

    audit_type: ClassVar[str]
    audit_id: ClassVar[str] = "id"

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.audited_as is not MarkedOut.audited_as:
            return
        marking = cls.model_fields.get("marking")
        if marking is None or marking.annotation is not MarkingOut or cls.audit_id not in cls.model_fields:
            raise TypeError(f"{cls.__name__}: a marked item has a `marking: MarkingOut` and a `{cls.audit_id}` field")

    def audited_as(self) -> tuple[str | int, MarkingOut]:
        return getattr(self, self.audit_id), getattr(self, "marking")  # noqa: B009 (a field of each subclass)


def returned_items(value: object) -> Iterator[MarkedOut]:
    """Every marked item in a response value, however deeply it is nested."""
    if isinstance(value, MarkedOut):
        yield value
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from returned_items(getattr(value, name))
    elif isinstance(value, list | tuple):
        for element in value:
            yield from returned_items(element)
    elif isinstance(value, Mapping):
        for element in value.values():
            yield from returned_items(element)


def _record(kwargs: Mapping[str, Any], result: object) -> None:
    actor, centre = kwargs["actor"], kwargs["centre"]
    assert isinstance(actor, Actor)
    level = centre.audit.read_level
    reads = []
    seen: set[tuple[str, str | int]] = set()
    for item in returned_items(result):
        item_id, m = item.audited_as()
        if (item.audit_type, item_id) in seen:
            continue  # an item inside its own detail (the outer one, hashed in full, stands for both)
        seen.add((item.audit_type, item_id))
        if Level[m.level] >= level:
            marking = Marking.build(m.level, m.originator, m.releasable_to, m.tlp, m.caveats)
            reads.append(ReadItem(item.audit_type, item_id, marking, item.model_dump(mode="json")))
    if reads:
        centre.audit.record_reads(actor, reads)


def _audited(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """`endpoint`, recording the reads of what it returns (for endpoints of a signed-in person)."""
    parameters = inspect.signature(endpoint).parameters
    if "actor" not in parameters or "centre" not in parameters:
        return endpoint  # nobody signed in (health, public pages, documentation): no person's read
    # The endpoint's annotations resolved in its own module: FastAPI at its floor (0.117) evaluates string
    # annotations (`from __future__ import annotations`) in the wrapper's module, where they are unknown.
    resolved = inspect.signature(endpoint, eval_str=True)
    if inspect.iscoroutinefunction(endpoint):
        @functools.wraps(endpoint)
        async def audited_async(*args: Any, **kwargs: Any) -> Any:
            result = await endpoint(*args, **kwargs)
            await asyncio.to_thread(_record, kwargs, result)
            return result

        audited_async.__signature__ = resolved  # type: ignore[attr-defined]
        return audited_async

    @functools.wraps(endpoint)
    def audited(*args: Any, **kwargs: Any) -> Any:
        result = endpoint(*args, **kwargs)
        _record(kwargs, result)
        return result

    audited.__signature__ = resolved  # type: ignore[attr-defined]
    return audited


class AuditedRoute(APIRoute):
    """An API route whose GET endpoint's marked items are audited as read (see the module)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = {m.upper() for m in kwargs.get("methods") or ()}
        super().__init__(path, _audited(endpoint) if "GET" in methods else endpoint, **kwargs)


def api_router(**kwargs: Any) -> APIRouter:
    """The router of an API module: every route on it is an `AuditedRoute`."""
    return APIRouter(route_class=AuditedRoute, **kwargs)
