"""Turn domain errors into one clear line and a non-zero exit; no tracebacks for user mistakes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError

from concord.domain.errors import RENDERING, Code, ConcordError

F = TypeVar("F", bound=Callable[..., Any])

_err = Console(stderr=True)


def run_safely(command: F) -> F:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ConcordError as exc:
            where = f" ({exc.field})" if exc.field else ""
            _err.print(f"[red]error[/red]{where}: {exc.message}")
            raise typer.Exit(RENDERING[exc.code].cli_exit) from None
        except OperationalError as exc:
            _err.print(f"[red]error[/red]: cannot use the database: {str(exc.orig).strip().splitlines()[0]}")
            raise typer.Exit(RENDERING[Code.UNAVAILABLE].cli_exit) from None

    return wrapper  # type: ignore[return-value]
