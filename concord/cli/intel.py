"""`concord intel import FILE…` and `concord intel export`: STIX 2.1 bundles in and out.

The command acts as a named person (`--as`): their nation is the originator of what is imported,
and an export holds exactly what they may see.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from concord import collector
from concord.cli.centre import open_centre
from concord.cli.errors import run_safely
from concord.domain.errors import Invalid
from concord.domain.stix import bundle_chunks, split_objects
from concord.private_files import open_private

if TYPE_CHECKING:
    pass

intel_app = typer.Typer(help="Import and export STIX 2.1 intelligence.", no_args_is_help=True)
console = Console(stderr=True)
BATCH = 1000




@intel_app.command("import")
@run_safely
def import_files(
    files: Annotated[list[Path], typer.Argument(help="STIX 2.1 bundle files (JSON)")],
    as_user: Annotated[str, typer.Option("--as", help="the publishing person's username")],
    index: Annotated[bool, typer.Option("--index", help="bring the search and correlation indexes up to date "
                                        "here before returning (otherwise a running centre's indexer does)")] = False,
) -> None:
    """Import bundles, reporting each refused object; run again to resume (held objects are skipped).

    What is imported is visible by id and TAXII at once; search and correlation follow from the event
    log (services/intel_index.py), by a running centre or, with `--index`, by this command."""
    centre = open_centre()
    actor = centre.people.actor_named(as_user)
    stored = refused = 0
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress, collector.bulk_work():
        for path in files:
            try:
                text = path.read_bytes()
            except OSError as exc:
                raise Invalid(f"cannot read {path}: {exc.strerror}", field="file") from None
            _members, items = split_objects(text)
            task = progress.add_task(path.name, total=len(items))
            for start in range(0, len(items), BATCH):
                result = centre.intel.import_batch(actor, items[start : start + BATCH])
                stored += len(result.successes)
                refused += len(result.failures)
                for failure in result.failures:
                    progress.console.print(
                        f"[yellow]refused[/yellow] {failure.get('id') or '(no id)'}: {failure['message']}"
                    )
                progress.advance(task, len(items[start : start + BATCH]))
    console.print(f"{stored} objects stored or already held, {refused} refused.")
    # A bulk import changes the tables' shape at once: tell the planner before readers arrive.
    centre.db.refresh_statistics()
    if index:
        with console.status("indexing for search and correlation…"):
            centre.intel_index.catch_up()
        console.print("Search and correlation are up to date.")
    else:
        console.print("Search and correlation follow: a running centre indexes what was imported.")
    centre.close()
    if refused:
        raise typer.Exit(1)


@intel_app.command("export")
@run_safely
def export(
    as_user: Annotated[str, typer.Option("--as", help="export what this person may see")],
    out: Annotated[Path | None, typer.Option(help="file to write (default: standard output)")] = None,
    all_versions: Annotated[bool, typer.Option("--all-versions", help="every version, not only the latest")] = False,
) -> None:
    """Write a STIX 2.1 bundle of everything the person may see."""
    centre = open_centre()
    actor = centre.people.actor_named(as_user)
    chunks = bundle_chunks(centre.intel_read.export(
        actor, all_versions=all_versions, on_batch=lambda batch: centre.audit.record_returned(actor, "intel", batch)))
    if out is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.write("\n")
    else:
        with open_private(out) as handle:  # what the person may see, restricted items included
            for chunk in chunks:
                handle.write(chunk)
    centre.close()
