"""Limits every JSON reader applies: nesting depth, and no NUL character in any text.

PostgreSQL text cannot hold NUL while SQLite can, so NUL is refused at the door, the same on both
stores, instead of failing (or not) at the database. Depth is bounded so that no reader, and nothing
that walks what it read (validators, canonical JSON, the audit log), runs out of stack; real
documents (STIX objects with extensions, request bodies) nest a few levels.
"""

from __future__ import annotations

import json
from typing import Any

from concord.domain.errors import Invalid

MAX_DEPTH = 64


def find_problem(value: Any, max_depth: int = MAX_DEPTH) -> tuple[str, str] | None:
    """The dotted path and reason of the first string holding NUL or container nested too deep.

    Iterative, so a deep value cannot exhaust the stack here either.
    """
    stack: list[tuple[Any, tuple[str, ...], int]] = [(value, (), 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return ".".join(path), "must not contain the NUL character"
            continue
        if isinstance(item, dict):
            children: list[tuple[str, Any]] = []
            for key, child in item.items():
                if isinstance(key, str) and "\x00" in key:
                    return ".".join(path), "member names must not contain the NUL character"
                children.append((str(key), child))
        elif isinstance(item, list | tuple):
            children = [(str(index), child) for index, child in enumerate(item)]
        else:
            continue
        if depth > max_depth:
            return ".".join(path), f"is nested deeper than {max_depth} levels"
        stack.extend((child, (*path, key), depth + 1) for key, child in reversed(children))
    return None


def check(value: Any, field: str, max_depth: int = MAX_DEPTH) -> None:
    """Raise `Invalid` naming the place (`field` plus the path inside it) that breaks a limit."""
    problem = find_problem(value, max_depth)
    if problem is not None:
        where, reason = problem
        name = f"{field}.{where}" if where and field else (where or field)
        raise Invalid(f"{name} {reason}", field=name)


def may_break_limits(raw: str | bytes, max_depth: int = MAX_DEPTH) -> bool:
    """A cheap test on the text: False means no value read from it can break a limit.

    A NUL can only arrive as the escape `\\u0000` (JSON forbids raw control characters in strings),
    and nesting deeper than `max_depth` needs more than `max_depth` opening brackets.
    """
    if isinstance(raw, str):
        return "\\u0000" in raw or raw.count("[") + raw.count("{") > max_depth
    return b"\\u0000" in raw or raw.count(b"[") + raw.count(b"{") > max_depth


def loads(raw: str | bytes, field: str = "body", max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads` within the limits; a breach or malformed text raises `Invalid` naming `field`."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise Invalid(f"{field} is nested deeper than {max_depth} levels", field=field) from None
    except ValueError as exc:
        raise Invalid(f"{field} is not valid JSON: {exc}", field=field) from None
    if may_break_limits(raw, max_depth):
        check(value, field, max_depth)
    return value
