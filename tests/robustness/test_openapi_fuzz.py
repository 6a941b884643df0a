"""Schemathesis against our own OpenAPI document: no 500, no response that breaks the schema.

Every endpoint a later feature adds joins this run automatically. Generated requests are sent as a
signed-in administrator (bearer token), so authenticated paths are exercised, not only 401s.
"""

from __future__ import annotations

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
from tests.conftest import fast_settings
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


@pytest.fixture(scope="module")
def fuzz_centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Centre]:
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    upgrade(Database(f"sqlite:///{path}"))
    centre = Centre(fast_settings(f"sqlite:///{path}", path.parent / "data"))
    centre.nations.add("TUR", "Türkiye")
    centre.nations.add("IRQ", "Iraq")
    person(centre, "TUR", (Role.ADMINISTRATOR, Role.COMMANDER, Role.ANALYST), username="tur.fuzz")
    person(centre, "IRQ", (Role.ANALYST,), username="irq.fuzz")
    yield centre
    centre.close()


@pytest.fixture(scope="module")
def fuzz_token(fuzz_centre: Centre) -> str:
    return fuzz_centre.auth.sign_in("tur.fuzz", PASSWORD, None, "127.0.0.9").token


@pytest.fixture(scope="module")
def api_schema(fuzz_centre: Centre) -> schemathesis.BaseSchema:
    app = create_app(centre=fuzz_centre)
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


def test_no_server_errors_and_schema_conformance(api_schema: schemathesis.BaseSchema, fuzz_token: str) -> None:
    headers = {"Authorization": f"Bearer {fuzz_token}"}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() == "DELETE" and operation.path in ("/api/sessions", "/api/session"):
            continue  # signing out would end the fuzzing session itself

        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        run()


def test_the_fuzz_run_covers_every_operation(api_schema: schemathesis.BaseSchema) -> None:
    # A guard that the run is not silently empty.
    paths = {op.ok().path for op in api_schema.get_all_operations()}
    assert "/api/people" in paths and "/api/session" in paths
    assert Path(__file__).exists()
