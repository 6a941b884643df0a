"""Imports go one way (scripts/check_imports.py): adapters → services → storage/bus → domain."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_imports.py"

#: Wrong-way imports still to remove: none. Listed here only while another piece of work removes
#: one; the test fails once an entry is no longer needed, so the list only shrinks.
PENDING: set[tuple[str, str]] = set()


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_imports", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_imports"] = module
    spec.loader.exec_module(module)
    return module


def test_no_module_imports_a_layer_above_its_own() -> None:
    checker = _checker()
    wrong = {(str(w.path), w.target): str(w) for w in checker.check(checker.PACKAGE)}
    assert [text for key, text in wrong.items() if key not in PENDING] == []
    assert wrong.keys() >= PENDING, f"no longer wrong-way, remove from PENDING: {PENDING - wrong.keys()}"


def test_the_check_finds_a_wrong_way_import(tmp_path: Path) -> None:
    package = tmp_path / "concord"
    for name, text in {
        "domain/rules.py": "from concord.storage.db import Database\n",                 # domain → storage
        "storage/db.py": "import concord.domain.rules\n",                               # fine
        "services/feed.py": "def f() -> None:\n    from concord.api import web\n",     # services → adapters
        "api/web.py": "from concord.services import feed\nfrom concord import clock\n",  # fine
        "clock.py": "from concord.services import feed\n",                               # base → services
        "settings.py": "from concord.domain import rules\n",                             # fine
    }.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    checker = _checker()
    found = sorted((str(w.path), w.line, w.target) for w in checker.check(package))
    assert found == [
        ("concord/clock.py", 1, "concord.services"),
        ("concord/domain/rules.py", 1, "concord.storage.db"),
        ("concord/services/feed.py", 2, "concord.api"),
    ]
