"""`concord sites import FILE.geojson`: load many protected sites and movements, with a progress bar.

The whole file is checked first (every problem names its feature, e.g. `features[12].properties.kind`)
and then written in one unit of work, so a bad file writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from concord.cli.centre import open_centre
from concord.cli.errors import run_safely
from concord.domain import json_limits
from concord.domain.errors import Invalid
from concord.domain.markings import Level, Tlp
from concord.domain.sites import DEFAULT_SITE_LEVEL, DEFAULT_SITE_TLP, SiteSpec, site_from_feature, site_marking

sites_app = typer.Typer(help="Protected sites and humanitarian movements.", no_args_is_help=True)
console = Console()
MAX_FILE_BYTES = 200 * 1024 * 1024


def read_feature_collection(path: Path) -> list[Any]:
    if not path.is_file():
        raise Invalid(f"{path} is not a file", field="file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise Invalid(f"{path} is larger than {MAX_FILE_BYTES // 2**20} MiB", field="file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid(f"{path} is not UTF-8 text: {exc}", field="file") from None
    data = json_limits.loads(text, field="file")
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise Invalid("the file is a GeoJSON FeatureCollection", field="type")
    features = data.get("features")
    if not isinstance(features, list):
        raise Invalid("a FeatureCollection has a list of features", field="features")
    return features


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=console)


@sites_app.command("import")
@run_safely
def import_sites(
    file: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection; properties kind, name, buffer_m, "
                                              "starts_at, ends_at, notes")],
    nation: Annotated[str, typer.Option(help="the notifying nation (originator of the sites' marking)")],
    level: Annotated[str, typer.Option(help="classification level")] = DEFAULT_SITE_LEVEL.name,
    tlp: Annotated[str, typer.Option(help="TLP 2.0 label")] = DEFAULT_SITE_TLP.value,
) -> None:
    """Import protected sites and humanitarian movements, releasable to every partner nation."""

    features = read_feature_collection(file)
    centre = open_centre()
    codes = centre.nations.codes()
    if nation.upper() not in codes:
        raise Invalid(f"{nation!r} is not a partner nation of this centre", field="nation")
    try:
        marking = site_marking(nation.upper(), codes, Level[level.upper()], Tlp(tlp.upper()))
    except (KeyError, ValueError):
        raise Invalid("unknown level or TLP label", field="level") from None
    specs: list[SiteSpec] = []
    with _progress() as progress:
        checking = progress.add_task("checking ", total=len(features))
        for index, feature in enumerate(features):
            specs.append(site_from_feature(feature, index, marking))
            progress.advance(checking)
        importing = progress.add_task("importing", total=len(specs))
        ids = centre.sites.import_many(None, specs, lambda n: progress.advance(importing, n))
    console.print(f"{len(ids)} protected sites imported for {nation.upper()}.")
