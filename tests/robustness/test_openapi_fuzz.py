"""Schemathesis against our own OpenAPI document: no 500, no response that breaks the schema.

Every endpoint a later feature adds joins this run automatically. It runs on SQLite and PostgreSQL,
and generated requests are sent as two signed-in accounts (bearer tokens): one of TUR holding every
working role (administrator, commander, analyst, liaison officer, watch officer) and one of IRQ (liaison
officer and analyst), so bodies are exercised past the role checks of every feature and across the
boundary between nations, not only answered 401/403. Bounded: a few examples per operation.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from concord.app import create_app
from concord.centre import Centre
from concord.domain.people import Role
from concord.storage.db import Database
from concord.storage.migrate import upgrade
from tests.conftest import fast_settings, throwaway_postgres
from tests.factories import PASSWORD, person

# Business rules legitimately refuse some schema-valid requests with 422 (a wrong TOTP code, an end
# before a start), so "positive data acceptance" is not among the checks; everything else is.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


#: Operations that would end the fuzzing accounts' own sessions (sign-out; disabling or resetting an
#: account, which a generated id may name): everything after them would only measure 401s. Their ids
#: are bounded like every other route's (tests/integration/test_bad_input_limits.py).
SKIPPED = re.compile(r"^(DELETE /api/sessions?|POST /api/people/\{person_id\}/(disable|reset-password))$")
ACCOUNTS = {
    "tur.fuzz": ("TUR", (Role.ADMINISTRATOR, Role.COMMANDER, Role.ANALYST, Role.LIAISON_OFFICER, Role.WATCH_OFFICER)),
    "irq.fuzz": ("IRQ", (Role.LIAISON_OFFICER, Role.ANALYST)),
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_centre(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Centre]:
    data = tmp_path_factory.mktemp("fuzz")
    with contextlib.ExitStack() as stack:
        url = (f"sqlite:///{data / 'fuzz.db'}" if request.param == "sqlite"
               else stack.enter_context(throwaway_postgres()))
        migrated = Database(url)
        upgrade(migrated)
        migrated.dispose()
        centre = Centre(fast_settings(url, data / "data"))
        centre.nations.add("TUR", "Türkiye")
        centre.nations.add("IRQ", "Iraq")
        for username, (nation, roles) in ACCOUNTS.items():
            person(centre, nation, roles, username=username)
        yield centre
        centre.close()


@pytest.fixture(scope="module")
def fuzz_tokens(fuzz_centre: Centre) -> dict[str, str]:
    return {name: fuzz_centre.auth.sign_in(name, PASSWORD, None, "127.0.0.9").token for name in ACCOUNTS}


@pytest.fixture(scope="module")
def api_schema(fuzz_centre: Centre) -> schemathesis.BaseSchema:
    app = create_app(centre=fuzz_centre)
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


@pytest.mark.parametrize("account", sorted(ACCOUNTS))
def test_no_server_errors_and_schema_conformance(api_schema: schemathesis.BaseSchema, fuzz_tokens: dict[str, str],
                                                 account: str) -> None:
    headers = {"Authorization": f"Bearer {fuzz_tokens[account]}"}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if SKIPPED.match(f"{operation.method.upper()} {operation.path}"):
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        run()


def test_the_fuzz_run_covers_every_operation(api_schema: schemathesis.BaseSchema) -> None:
    # A guard that the run is not silently empty.
    paths = {op.ok().path for op in api_schema.get_all_operations()}
    assert "/api/people" in paths and "/api/session" in paths
    assert Path(__file__).exists()
