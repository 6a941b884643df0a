"""The public, unauthenticated, read-only face of the centre: published joint releases and nothing else.

Every handler here takes no parameters at all, so no query string can widen what is shown; the only
data read is `ReleaseService.published` (releases every concerned nation approved). The Atom feed
follows RFC 4287, one entry per release and language (`xml:lang`).
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from functools import cache

import jinja2
from fastapi.responses import HTMLResponse, JSONResponse, Response

from concord.api.deps import CentreDep
from concord.api.read_audit import api_router
from concord.clock import iso
from concord.services.sitrep import CENTRE_NAME
from concord.storage.releases import PublishedRelease

router = api_router(prefix="/public", tags=["public"])

LANGUAGES = ("en", "tr", "ar")
LANGUAGE_NAMES = {"en": "English", "tr": "Türkçe", "ar": "العربية"}
ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CACHE = {"Cache-Control": "public, max-age=60", "X-Content-Type-Options": "nosniff"}
# A stable namespace for the feed's entry ids (RFC 4287 §4.2.6: ids never change).
_IDS = uuid.UUID("5b0c7d1e-6c1f-4c52-9a55-0f3c2f6b7a11")


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.PackageLoader("concord", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["iso"] = iso
    return env.get_template("public/releases.html.j2")


def _json(release: PublishedRelease) -> dict[str, object]:
    return {"id": release.id, "published_at": iso(release.published_at),
            "texts": {lang: {"title": t["title"], "body": t["body"]} for lang, t in release.texts.items()
                      if lang in LANGUAGES}}


@router.get("", response_class=HTMLResponse, include_in_schema=False)
@router.get("/", response_class=HTMLResponse, summary="Published joint statements (HTML)")
def page(centre: CentreDep) -> HTMLResponse:
    html = _template().render(centre=CENTRE_NAME, releases=centre.releases.published(),
                              languages=LANGUAGES, language_names=LANGUAGE_NAMES)
    return HTMLResponse(html, headers=CACHE)


@router.get("/releases.json", summary="Published joint statements (JSON)")
def releases_json(centre: CentreDep) -> JSONResponse:
    return JSONResponse({"releases": [_json(r) for r in centre.releases.published()]}, headers=CACHE)


@router.get("/releases.atom", summary="Published joint statements (Atom, RFC 4287)", response_class=Response,
            responses={200: {"content": {"application/atom+xml": {"schema": {"type": "string"}}}}})
def releases_atom(centre: CentreDep) -> Response:
    releases = centre.releases.published()
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = f"{CENTRE_NAME}: public statements"
    ET.SubElement(feed, f"{{{ATOM}}}id").text = f"urn:uuid:{uuid.uuid5(_IDS, 'feed')}"
    newest = releases[0].published_at if releases else datetime(2026, 1, 1, tzinfo=UTC)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = iso(newest)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href="/public/releases.atom")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href="/public/")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = CENTRE_NAME
    for release in releases:
        for lang in LANGUAGES:
            text = release.texts.get(lang)
            if not text:
                continue
            entry = ET.SubElement(feed, f"{{{ATOM}}}entry", {XML_LANG: lang})
            ET.SubElement(entry, f"{{{ATOM}}}id").text = f"urn:uuid:{uuid.uuid5(_IDS, f'{release.id}/{lang}')}"
            ET.SubElement(entry, f"{{{ATOM}}}title").text = text["title"]
            ET.SubElement(entry, f"{{{ATOM}}}updated").text = iso(release.published_at)
            ET.SubElement(entry, f"{{{ATOM}}}published").text = iso(release.published_at)
            ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=f"/public/#release-{release.id}")
            ET.SubElement(entry, f"{{{ATOM}}}content", type="text").text = text["body"]
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/atom+xml; charset=utf-8", headers=CACHE)
