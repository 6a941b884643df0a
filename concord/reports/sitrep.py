"""Rendering a SITREP to HTML (Jinja2) and PDF (WeasyPrint).

The HTML is self-contained (styles and the map inline), so the same document is served to the
browser and printed to PDF; CSS Paged Media margin boxes put the classification banner at the top
and bottom of every printed page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from importlib import resources

import jinja2
from markupsafe import Markup

from concord.domain.incident_facts import Location
from concord.domain.markings import Level, Marking
from concord.domain.sitrep import PRECEDENCES, Sitrep, dtg
from concord.reports.sitrep_map import MapMarker, incident_map_svg

# Banner colours by level, as classification banners are commonly printed (ink, background).
BANNER_COLOURS: Mapping[Level, tuple[str, str]] = {
    Level.UNCLASSIFIED: ("#ffffff", "#007a33"),
    Level.RESTRICTED: ("#000000", "#f5c400"),
    Level.CONFIDENTIAL: ("#ffffff", "#0033a0"),
    Level.SECRET: ("#ffffff", "#c8102e"),
}

FIGURE_LABELS = (
    ("new_incidents", "New incidents"), ("changed_incidents", "Updated incidents"),
    ("killed", "Killed"), ("injured", "Wounded"), ("open_rfis", "Open RFIs"),
    ("overdue_rfis", "Overdue RFIs"), ("active_operations", "Active operations"),
    ("open_conflicts", "Open conflicts"), ("messages", "Messages"),
)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("concord", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters.update(css_string=css_string, dtg=_dtg, z=_z, portion=_portion, position=_position,
                       count=_count)
    return env


def css_string(value: str) -> Markup:
    """Escape text for a double-quoted CSS string inside <style> (the banner in `content: "…"`).

    HTML escaping does not apply inside <style>, so this escapes for CSS instead, including "<" so
    no text can close the style element.
    """
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ").replace("<", "\\3C ")
    return Markup(escaped)  # noqa: S704 - escaped for CSS just above


def _dtg(value: datetime | None) -> str:
    return dtg(value) if value is not None else "—"


def _z(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%MZ")


def _portion(marking: Marking) -> str:
    return marking.level.name[0]


def _position(location: Location) -> str:
    lon, lat = location.anchor
    text = f"{abs(lat):.3f}°{'N' if lat >= 0 else 'S'} {abs(lon):.3f}°{'E' if lon >= 0 else 'W'}"
    return text + (" (area)" if location.is_area else "")


def _count(value: int | None) -> str:
    return "–" if value is None else str(value)


def render_html(sitrep: Sitrep, *, labels: Mapping[str, str] | None = None) -> str:
    """The report as one HTML page. `labels` are the reader nation's names for the levels."""
    sitrep.ensure_visible_to(sitrep.reader)
    classification = sitrep.classification
    banner = classification.banner(labels)
    ink, bg = BANNER_COLOURS[classification.level]
    markers = [MapMarker(str(i), row.location) for i, row in enumerate(sitrep.incidents, start=1)]
    css = resources.files("concord").joinpath("templates/sitrep/sitrep.css").read_text("utf-8")
    generated = dtg(sitrep.generated_at)
    return _environment().get_template("sitrep/sitrep.html.j2").render(
        sitrep=sitrep, css=css, banner=banner, colours={"ink": ink, "bg": bg},
        # Both are CSS declarations built from constants (the colours come from BANNER_COLOURS).
        banner_box=Markup(  # noqa: S704
            f'font: bold 8pt "DejaVu Sans", sans-serif; color: {ink}; '
            f"background: {bg}; padding: 0 3mm; text-align: center; vertical-align: middle;"),
        small_box=Markup('font: 7pt "DejaVu Sans", sans-serif; color: #444; vertical-align: middle; '
                         "width: 26mm;"),
        footer=f"SITREP {generated}", dtg_generated=generated,
        figures=sitrep.key_figures(), figure_labels=FIGURE_LABELS, precedences=PRECEDENCES,
        map_svg=incident_map_svg(markers) if markers else "",
    )


def render_pdf(sitrep: Sitrep, *, labels: Mapping[str, str] | None = None) -> bytes:
    # Imported here: WeasyPrint loads Pango at import, which the API's JSON paths never need.
    import weasyprint

    html = render_html(sitrep, labels=labels)
    pdf = weasyprint.HTML(string=html, base_url=None).write_pdf()
    assert pdf is not None  # write_pdf returns bytes when no target is given
    return bytes(pdf)
