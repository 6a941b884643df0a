"""Run every benchmark and print one table: `python -m bench [--quick] [--only NAME]`."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import time
import traceback

from rich.console import Console
from rich.markup import escape
from rich.table import Table

import bench
from bench.harness import Row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    parser.add_argument("--only", action="append", default=[], help="run only bench_NAME (repeatable)")
    args = parser.parse_args()
    console = Console()
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    if args.only:
        names = [n for n in names if n.removeprefix("bench_") in args.only or n in args.only]
    rows: list[tuple[str, Row, str]] = []
    failed = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        console.print(f"[bold]running {name}[/bold] …")
        started = time.perf_counter()
        # The machine is shared: each section's rows carry the 1-minute load average before → after it.
        load_before = os.getloadavg()[0]
        try:
            section = list(module.run(quick=args.quick))
        except Exception:
            section = []
            failed.append(name)
            console.print(f"[red]{name} failed[/red]\n{traceback.format_exc()}")
        load = f"{load_before:.1f} → {os.getloadavg()[0]:.1f}"
        rows.extend((name, row, load) for row in section)
        console.print(f"  {name} took {time.perf_counter() - started:.1f} s (load {load})")

    table = Table(title="Concord benchmarks" + (" (quick)" if args.quick else ""))
    for column in ("bench", "figure", "Concord", "peer", "ratio", "unit", "target", "load"):
        table.add_column(column)
    for name, row, load in rows:
        peer = "—" if row.peer is None else f"{row.peer:,.3f}" + (f" ({row.peer_name})" if row.peer_name else "")
        ratio = "—" if row.ratio is None else f"{row.ratio:,.1f}×"
        figure = escape(row.figure)  # labels hold brackets (match[type]) that rich would read as markup
        table.add_row(name.removeprefix("bench_"), figure, f"{row.concord:,.3f}", peer, ratio, row.unit, row.target,
                      load)
    console.print(table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
