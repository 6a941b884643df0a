"""The layers go one way (docs/architecture.md): domain ← storage, bus ← services ← adapters (api,
taxii, cot, cli) ← the composition roots (centre, app, demo). A module that imports a layer above
its own fails here, naming the import."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "concord"

RANK = {"domain": 0, "storage": 1, "bus": 1, "services": 2, "reports": 2,
        "api": 3, "taxii": 3, "cot": 3, "cli": 3, "centre": 4, "app": 4, "demo": 4}
#: Adapters may name the composition root `Centre` (the container of the services they call) and
#: the CLI runs the demo (`concord demo`); neither makes a lower layer depend on a higher one.
ALLOWED = {("api", "centre"), ("taxii", "centre"), ("cot", "centre"), ("cli", "centre"), ("cli", "demo")}
#: Wrong-way imports that #23 items 2 and 3 remove (CoT wire format out of services; the intel query
#: types out of the TAXII adapter). Nothing may be added here: delete a line when its import goes.
KNOWN = {
    "concord/services/tracks.py -> cot",
    "concord/services/intel.py -> taxii",
    "concord/services/intel_read.py -> taxii",
    "concord/storage/intel_read.py -> taxii",
}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "concord" and len(parts) > 1 else None


def wrong_way_imports(package: Path = PACKAGE) -> set[str]:
    found = set()
    for path in package.rglob("*.py"):
        own = _layer(".".join(path.relative_to(package.parent).with_suffix("").parts))
        if own not in RANK:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [_layer(node.module)] if node.module != "concord" else [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [_layer(a.name) for a in node.names]
            else:
                continue
            for target in targets:
                if target in RANK and RANK[target] > RANK[own] and (own, target) not in ALLOWED:
                    found.add(f"{path.relative_to(package.parent)} -> {target}")
    return found


def test_no_module_imports_a_layer_above_its_own() -> None:
    new = wrong_way_imports() - KNOWN
    assert not new, f"imports of a layer above the module's own: {sorted(new)}"


def test_the_check_sees_a_wrong_way_import(tmp_path: Path) -> None:
    services = tmp_path / "concord" / "services"
    services.mkdir(parents=True)
    (services / "widgets.py").write_text("from concord.api.deps import ActorDep\nfrom concord.domain import x\n")
    (tmp_path / "concord" / "api").mkdir()
    (tmp_path / "concord" / "api" / "widgets.py").write_text("from concord.centre import Centre\n")
    assert wrong_way_imports(tmp_path / "concord") == {"concord/services/widgets.py -> api"}
