#!/usr/bin/env python3
"""Fail when a module of `concord` imports a layer above its own (docs/architecture.md, "Layers").

Every import counts, at any depth of the module (an import inside a function is a dependency all the
same) and under `TYPE_CHECKING` too (a type is a dependency of the reader). Run by the test suite
(tests/unit/test_layers.py) and on its own: `python scripts/check_imports.py`; it prints each wrong-way
import as `module:line imports target (layer → layer)` and exits 1 when there is one.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

#: Layer of each top-level part of the package, lowest first. A module may import its own layer and
#: the layers below it; `BASE` modules (no rules, no I/O policy of their own) may be imported by any
#: layer but the domain, and import only the domain and one another.
DOMAIN = 0
STORAGE = 1      # SQL and the bus carrying "events up to N exist": both beside each other, below services
SERVICES = 2
ADAPTERS = 3     # HTTP, TAXII, CoT, CLI, and the wiring they are started from
ENTRY = 4        # the app factory and the process entry point

LAYERS: dict[str, int] = {
    "domain": DOMAIN,
    "storage": STORAGE,
    "bus": STORAGE,
    "reports": STORAGE,   # pure rendering of a SITREP (PDF), used by the SITREP service
    "services": SERVICES,
    "api": ADAPTERS,
    "taxii": ADAPTERS,
    "cot": ADAPTERS,
    "cli": ADAPTERS,
    "centre": ADAPTERS,   # the container every adapter is handed; it builds the CoT gateway
    "demo": ADAPTERS,
    "demo_coordination": ADAPTERS,
    "demo_operations": ADAPTERS,
    "app": ENTRY,
    "__main__": ENTRY,
}
BASE = frozenset({"__init__", "clock", "collector", "logs", "private_files", "request_context", "settings",
                  "supervisor"})
NAMES = {DOMAIN: "domain", STORAGE: "storage", SERVICES: "services", ADAPTERS: "adapters", ENTRY: "entry"}


@dataclass(frozen=True, slots=True)
class WrongWay:
    path: Path
    line: int
    target: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.target} ({self.why})"


PACKAGE = Path(__file__).resolve().parent.parent / "concord"


def _is_module(name: str) -> bool:
    return (PACKAGE / f"{name}.py").exists() or (PACKAGE / name).is_dir()


def part_of(module: str) -> str:
    """`concord.services.feed` → `services`; `concord.settings` → `settings`."""
    return module.split(".")[1]


def imports(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("concord.")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "concord":  # `from concord import x`: a module, or a name of the package's own
                found += [(node.lineno, f"concord.{alias.name}" if _is_module(alias.name) else "concord.__init__")
                          for alias in node.names]
            elif node.module.startswith("concord."):
                found.append((node.lineno, node.module))
    return found


def allowed(source: str, target: str) -> str | None:
    """None when `source` (a top-level part) may import `target`; otherwise why not."""
    if source == target:
        return None
    if source == "domain":
        return None if target == "domain" else "the domain imports only the domain"
    if target in BASE:
        return None
    if source in BASE:
        return None if target == "domain" else "a base module imports only the domain and other base modules"
    if source not in LAYERS:
        return f"{source} has no layer in scripts/check_imports.py"
    if target not in LAYERS:
        return f"{target} has no layer in scripts/check_imports.py"
    if LAYERS[target] > LAYERS[source]:
        return f"{NAMES[LAYERS[source]]} → {NAMES[LAYERS[target]]}"
    return None


def check(package: Path) -> list[WrongWay]:
    wrong: list[WrongWay] = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent)
        parts = relative.with_suffix("").parts
        source = parts[1] if len(parts) > 1 else parts[0]
        for line, target in imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            why = allowed(source, part_of(target))
            if why is not None:
                wrong.append(WrongWay(relative, line, target, why))
    return wrong


def main() -> int:
    wrong = check(PACKAGE)
    for item in wrong:
        print(item)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
