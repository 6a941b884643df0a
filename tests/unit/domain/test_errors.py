"""The one error table: every code has a row, and every adapter renders from it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer

from concord.api.errors import error_response
from concord.api.ws.protocol import CloseCode, close_code
from concord.cli.errors import run_safely
from concord.domain.errors import RENDERING, Code, ConcordError
from concord.taxii.responses import from_domain

DOCS = Path(__file__).resolve().parents[3] / "docs" / "websocket.md"


class _Failure(ConcordError):
    pass


def _failure(code: Code) -> ConcordError:
    error = _Failure("it failed", field="thing")
    error.code = code
    return error


def test_every_code_has_a_row() -> None:
    assert set(RENDERING) == set(Code)


def test_the_close_codes_are_the_documented_ones() -> None:
    documented = {int(c) for c in re.findall(r"^\| (\d{4}) \|", DOCS.read_text(encoding="utf-8"), re.M)}
    assert documented == {int(c) for c in CloseCode}
    for code, row in RENDERING.items():
        if row.ws_close is not None:
            assert close_code(code) == row.ws_close and row.ws_close in documented
    # the same failure means the same thing everywhere: a 44xx close code mirrors the HTTP status
    assert all(row.ws_close in (None, 1001) or row.ws_close - 4000 == row.http
               for code, row in RENDERING.items() if code is not Code.INVALID and code is not Code.TOO_LARGE)


@pytest.mark.parametrize("code", list(Code))
def test_each_adapter_renders_the_row(code: Code) -> None:
    row = RENDERING[code]
    response = error_response(_failure(code))
    assert response.status_code == row.http and json.loads(response.body)["error"]["code"] == code.value
    taxii = from_domain(_failure(code))
    assert taxii.status_code == row.taxii and json.loads(taxii.body)["http_status"] == str(row.taxii)

    @run_safely
    def command() -> None:
        raise _failure(code)

    with pytest.raises(typer.Exit) as exited:
        command()
    assert exited.value.exit_code == row.cli_exit
