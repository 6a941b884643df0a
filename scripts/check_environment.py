"""Does the virtual environment hold exactly the locked versions?

    python scripts/check_environment.py requirements/dev.txt [--also requirements/dev.txt]

Every package of the lock file (whose environment marker applies here) must be installed at its
locked version; any other installed package must be Concord itself or appear, at its locked
version, in a lock named with --also (a development environment serves the demo too). Exit 0 when
it holds, 1 with one line per difference when it does not. Only the standard library is used, so
the check runs before anything is installed.
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import metadata
from pathlib import Path

try:
    from packaging.markers import Marker
    from packaging.requirements import Requirement
except ImportError:
    # A runtime environment need not hold `packaging`, but every virtual environment holds pip,
    # which carries its own copy. Guessing instead would want Windows-only packages here, and both
    # pins of a package that the lock pins per Python version.
    from pip._vendor.packaging.markers import Marker
    from pip._vendor.packaging.requirements import Requirement

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")
OWN = {"concord"}
# The installer's own tools, which a virtual environment holds whatever the lock says.
INSTALLER = {"pip"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def marker_applies(marker: str | None) -> bool:
    if not marker:
        return True
    return bool(Marker(marker).evaluate())


def read_lock(path: Path) -> dict[str, str]:
    wanted: dict[str, str] = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line.strip())
        if match and marker_applies(match.group(3)):
            wanted[normalise(match.group(1))] = match.group(2)
    return wanted


def installed() -> dict[str, str]:
    return {normalise(dist.metadata["Name"]): dist.version for dist in metadata.distributions()}


def differences(lock: dict[str, str], also: dict[str, str], have: dict[str, str]) -> list[str]:
    problems = []
    for name, version in sorted(lock.items()):
        if name not in have:
            problems.append(f"missing: {name}=={version}")
        elif have[name] != version:
            problems.append(f"wrong version: {name} {have[name]} installed, {version} locked")
    for name, version in sorted(have.items()):
        if name in lock or name in OWN or name in INSTALLER:
            continue
        if also.get(name) != version:
            problems.append(f"not locked: {name}=={version}")
    return problems


def unmet_ranges(project: Path, extras: list[str], have: dict[str, str]) -> list[str]:
    import tomllib

    declared = tomllib.loads(project.read_text())["project"]
    lines = list(declared["dependencies"])
    for extra in extras:
        lines += declared["optional-dependencies"][extra]
    problems = []
    for line in lines:
        requirement = Requirement(line)
        version = have.get(normalise(requirement.name))
        if version is not None and not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{project} asks for {requirement}, the lock has {version}: run scripts/lock")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock", type=Path)
    parser.add_argument("--also", type=Path, action="append", default=[])
    parser.add_argument("--project", type=Path, help="pyproject.toml whose ranges the lock must meet")
    parser.add_argument("--extras", default="", help="comma-separated extras of --project")
    parser.add_argument("--quiet", action="store_true", help="exit status only")
    args = parser.parse_args()
    also: dict[str, str] = {}
    for path in args.also:
        also.update(read_lock(path))
    have = installed()
    problems = differences(read_lock(args.lock), also, have)
    if args.project and not problems:
        problems = unmet_ranges(args.project, [e for e in args.extras.split(",") if e], have)
    if problems and not args.quiet:
        print(f"the environment does not match {args.lock}:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
