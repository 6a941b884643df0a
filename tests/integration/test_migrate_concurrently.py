"""Several server processes starting at the same moment against an empty PostgreSQL database migrate
it once: one migrates, the others wait for it and find nothing left to do."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import text

from concord.storage.db import Database
from concord.storage.migrate import is_current
from tests.conftest import throwaway_postgres

PROCESSES = 4
_MIGRATE = ("import sys; from concord.storage.db import Database; from concord.storage.migrate import upgrade; "
            "db = Database(sys.argv[1]); upgrade(db); db.dispose()")


def test_processes_migrating_an_empty_database_at_once_migrate_it_once() -> None:
    with throwaway_postgres() as url:
        env = {**os.environ, "PYTHONPATH": os.getcwd()}
        children = [subprocess.Popen([sys.executable, "-c", _MIGRATE, url], env=env, stderr=subprocess.PIPE, text=True)
                    for _ in range(PROCESSES)]
        failures = []
        for child in children:
            _, err = child.communicate(timeout=300)
            if child.returncode != 0:
                failures.append(err[-2000:])
        assert failures == []
        db = Database(url)
        try:
            assert is_current(db)
            with db.engine.connect() as conn:
                versions = conn.execute(text("SELECT count(*), count(DISTINCT version_num) FROM alembic_version")).one()
            assert versions[0] == versions[1] > 0  # each head recorded once
        finally:
            db.dispose()
