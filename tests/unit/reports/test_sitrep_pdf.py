"""The SITREP as printed: the banner on every page, the first page as an image."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from concord.reports.sitrep import render_html, render_pdf
from tests.unit.reports.sitrep_sample import sample_sitrep

BANNER = "SECRET (GİZLİ) // REL TO IRQ, TUR // TLP:AMBER"
LABELS = {"SECRET": "GİZLİ"}


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert match
    return int(match.group(1))


def page_text(pdf: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sitrep") / "sitrep.pdf"
    path.write_bytes(render_pdf(sample_sitrep(), labels=LABELS))
    return path


def test_the_banner_is_at_the_top_and_bottom_of_every_page(pdf: Path) -> None:
    pages = page_count(pdf)
    assert pages >= 2  # the sample runs over more than one page
    for page in range(1, pages + 1):
        lines = [line.strip() for line in page_text(pdf, page).splitlines() if line.strip()]
        # The margin boxes come first and last in reading order (a side box may wrap to two lines).
        assert BANNER in "\n".join(lines[:2]), f"page {page} top: {lines[:2]!r}"
        assert BANNER in "\n".join(lines[-3:]), f"page {page} bottom: {lines[-3:]!r}"
        assert f"Page {page} of {pages}" in "\n".join(lines[-3:])


def test_the_first_page_has_the_title_block_tables_and_a_red_secret_banner(pdf: Path, tmp_path: Path) -> None:
    text = page_text(pdf, 1)
    for expected in ("SITUATION REPORT (SITREP)", "DTG 290500Z NOV 26", "Col. Deniz Örnek (fictional)",
                     "1. KEY FIGURES", "2. INCIDENTS", "OCCURRED", "280000Z"):
        assert expected in text
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "60", "-png", str(pdf), str(tmp_path / "page")],
                   check=True)
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")
    width, height = image.size
    # The banner box is centred in the top margin, SECRET is printed white on red (#c8102e).
    banner_row = [image.getpixel((x, int(height * 0.04))) for x in range(width // 3, 2 * width // 3)]
    red = [p for p in banner_row if p[0] > 170 and p[1] < 60 and p[2] < 80]
    assert len(red) > len(banner_row) // 3


def test_the_banner_follows_the_highest_marking_contained(tmp_path: Path) -> None:
    path = tmp_path / "r.pdf"
    path.write_bytes(render_pdf(sample_sitrep(incidents=2, secret=False)))
    text = page_text(path, 1)
    assert "RESTRICTED // REL TO IRQ, TUR // TLP:AMBER" in text
    assert "SECRET" not in text


def test_text_from_records_cannot_break_out_of_the_html_or_the_banner_css() -> None:
    html = render_html(sample_sitrep(incidents=2, title='</style><script>alert("x")</script>'))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
