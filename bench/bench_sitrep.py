"""SITREP rendering: HTML (Jinja2 + the SVG map) and PDF (WeasyPrint) for a busy day.

There is no peer that renders the same document; the rows give the absolute cost so a regression
in the template or the map shows.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from bench.harness import Row, timed
from concord.reports.sitrep import render_html, render_pdf
from tests.unit.reports.sitrep_sample import sample_sitrep


def run(quick: bool) -> list[Row]:
    incidents = 20 if quick else 150
    report = sample_sitrep(incidents)
    html_s = timed(lambda: render_html(report), repeat=3)
    pdf_s = timed(lambda: render_pdf(report), repeat=1 if quick else 3)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sitrep.pdf"
        path.write_bytes(render_pdf(report))
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        pages = int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))
    return [
        Row(f"SITREP HTML, {incidents} incidents", html_s * 1000, None, "ms", "< 200 ms",
            higher_is_better=False),
        Row(f"SITREP PDF, {incidents} incidents ({pages} pages)", pdf_s, None, "s", "< 10 s",
            higher_is_better=False),
        Row("SITREP PDF per page", pdf_s / pages * 1000, None, "ms/page", "< 1000 ms/page",
            higher_is_better=False),
    ]
