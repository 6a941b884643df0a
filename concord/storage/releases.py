"""Joint public releases and their approvals.

Proposals are read through their marking like any item. `published_releases` is the one read without
a reader: it serves the public page and returns only what every concerned nation approved to
publish (status "published"), and only the published text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Connection, ForeignKey, Integer, String, Table, insert, select, update

from concord.clock import utc
from concord.domain.errors import NotFound, StateConflict
from concord.domain.markings import Reader
from concord.domain.releases import Approval, ItemRef, Release, ReleaseContent, ReleaseStatus, ReleaseText
from concord.storage.policy import marking_values, visible_to
from concord.storage.schema import TS, BigId, marking_columns, metadata

releases = Table(
    "releases", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("proposer", String(3), nullable=False),
    Column("person_id", BigId, nullable=True),
    Column("concerned", String(400), nullable=False),  # "|IRQ|TUR|"
    Column("texts", JSON, nullable=False),
    Column("refs", JSON, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("status", String(24), nullable=False, index=True),
    Column("proposed_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("published_at", TS, nullable=True, index=True),
    Column("version", Integer, nullable=False),
    *marking_columns(),
)

release_approvals = Table(
    "release_approvals", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("release_id", BigId, ForeignKey("releases.id"), nullable=False, index=True),
    Column("nation", String(3), nullable=False),
    Column("person_id", BigId, nullable=True),
    Column("at", TS, nullable=False),
    Column("content_hash", String(64), nullable=False),
)


def _values(release: Release) -> dict[str, Any]:
    content = release.content.to_dict()
    return {
        "proposer": release.proposer, "person_id": release.person_id,
        "concerned": "|" + "|".join(sorted(release.concerned)) + "|", "texts": content["texts"],
        "refs": content["references"], "content_hash": release.content_hash, "status": release.status.value,
        "proposed_at": release.proposed_at, "updated_at": release.updated_at,
        "published_at": release.published_at, "version": release.version, **marking_values(release.marking),
    }


def _content(texts: Mapping[str, Any], refs: list[Mapping[str, Any]]) -> ReleaseContent:
    return ReleaseContent({lang: ReleaseText(t["title"], t["body"]) for lang, t in texts.items()},
                          tuple(ItemRef(r["type"], str(r["id"])) for r in refs))


def add_release(conn: Connection, release: Release) -> int:
    return int(conn.execute(insert(releases).values(**_values(release)).returning(releases.c.id)).scalar_one())


def save_release(conn: Connection, release: Release, expected_version: int,
                 new_approval: Approval | None = None) -> None:
    result = conn.execute(update(releases)
                          .where(releases.c.id == release.id, releases.c.version == expected_version)
                          .values(**_values(release)))
    if result.rowcount != 1:
        raise StateConflict("the release was changed by someone else; reload it and try again", field="version")
    if new_approval is not None:
        conn.execute(insert(release_approvals).values(
            release_id=release.id, nation=new_approval.nation, person_id=new_approval.person_id,
            at=new_approval.at, content_hash=new_approval.content_hash))


def _release(conn: Connection, row: Any) -> Release:
    approvals: dict[str, Approval] = {}
    query = select(release_approvals).where(release_approvals.c.release_id == row.id).order_by(
        release_approvals.c.id)
    for a in conn.execute(query):
        approvals[a.nation] = Approval(a.nation, a.person_id, utc(a.at), a.content_hash)  # latest wins
    return Release(
        id=row.id, proposer=row.proposer, person_id=row.person_id,
        concerned=frozenset(n for n in row.concerned.split("|") if n), content=_content(row.texts, row.refs),
        proposed_at=utc(row.proposed_at), updated_at=utc(row.updated_at), approvals=approvals,
        status=ReleaseStatus(row.status), published_at=utc(row.published_at) if row.published_at else None,
        version=row.version,
    )


def get_release(conn: Connection, reader: Reader, release_id: int) -> Release:
    row = conn.execute(select(releases).where(releases.c.id == release_id, visible_to(releases, reader))).first()
    if row is None:
        raise NotFound(f"no release {release_id}", field="release_id")
    return _release(conn, row)


def list_releases(conn: Connection, reader: Reader, status: str | None = None, limit: int = 200) -> list[Release]:
    query = select(releases).where(visible_to(releases, reader))
    if status:
        query = query.where(releases.c.status == status)
    query = query.order_by(releases.c.updated_at.desc(), releases.c.id.desc()).limit(limit)
    return [_release(conn, r) for r in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class PublishedRelease:
    id: int
    published_at: datetime
    texts: Mapping[str, Mapping[str, str]]


def published_releases(conn: Connection, limit: int = 100) -> list[PublishedRelease]:
    """What the public may read: published releases' texts and dates, newest first, nothing else."""
    query = (select(releases.c.id, releases.c.published_at, releases.c.texts)
             .where(releases.c.status == ReleaseStatus.PUBLISHED.value, releases.c.published_at.is_not(None))
             .order_by(releases.c.published_at.desc(), releases.c.id.desc())
             .limit(limit))
    return [PublishedRelease(r.id, utc(r.published_at), dict(r.texts)) for r in conn.execute(query)]
