"""Joint public release use cases: propose, amend, approve (commanders), withdraw; the public read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from concord.clock import Clock
from concord.domain import releases as rules
from concord.domain.errors import Invalid
from concord.domain.ownership import Kind, require_owner
from concord.domain.people import Actor, Role
from concord.domain.releases import Release, ReleaseStatus
from concord.storage import nations as nation_store
from concord.storage import releases as store
from concord.storage.db import Database, Tx
from concord.storage.events import append_event
from concord.storage.releases import PublishedRelease

DRAFTING_ROLES = (Role.COMMANDER, Role.LIAISON_OFFICER)


class ReleaseService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def get(self, actor: Actor, release_id: int) -> Release:
        with self.db.read() as conn:
            return store.get_release(conn, actor.reader, release_id)

    def visible(self, actor: Actor, status: str | None = None) -> list[Release]:
        if status is not None and status not in {s.value for s in ReleaseStatus}:
            raise Invalid(f"status is one of {', '.join(s.value for s in ReleaseStatus)}", field="status")
        with self.db.read() as conn:
            return store.list_releases(conn, actor.reader, status)

    def published(self, limit: int = 100) -> list[PublishedRelease]:
        """For the public page: no reader, only what every concerned nation approved."""
        with self.db.read() as conn:
            return store.published_releases(conn, limit)

    def propose(self, actor: Actor, raw: Mapping[str, Any]) -> Release:
        actor.require(*DRAFTING_ROLES, action="proposing a public release")
        now = self.clock.now()
        release = rules.propose(raw, actor.nation, actor.person_id, now)
        with self.db.write() as tx:
            known = {n.code for n in nation_store.list_nations(tx.conn)}
            unknown = sorted(release.concerned - known)
            if unknown:
                raise Invalid(f"{', '.join(unknown)} is not a partner nation of this centre", field="concerned")
            release_id = store.add_release(tx.conn, release)
            self._event(tx, actor, "release.proposed", release_id, release)
        return self.get(actor, release_id)

    def edit(self, actor: Actor, release_id: int, raw: Mapping[str, Any]) -> Release:
        return self._change(actor, release_id, DRAFTING_ROLES, "amending a public release",
                            lambda r: rules.edit(r, raw, actor.nation, self.clock.now()), "release.edited")

    def approve(self, actor: Actor, release_id: int, content_hash: Any) -> Release:
        return self._change(
            actor, release_id, (Role.COMMANDER,), "approving a public release",
            lambda r: rules.approve(r, actor.nation, actor.person_id, content_hash, self.clock.now()),
            "release.approved")

    def withdraw(self, actor: Actor, release_id: int) -> Release:
        """Only the proposing nation withdraws its release (`domain.ownership`); a concerned nation that
        does not agree withholds its approval."""
        def change(release: Release) -> Release:
            require_owner(actor, release.proposer, Kind.RELEASE, action="withdraw it")
            return rules.withdraw(release, actor.nation, self.clock.now())

        return self._change(actor, release_id, DRAFTING_ROLES, "withdrawing a public release", change,
                            "release.withdrawn")

    def _change(self, actor: Actor, release_id: int, roles: tuple[Role, ...], action: str,
                change: Callable[[Release], Release], kind: str) -> Release:
        actor.require(*roles, action=action)
        with self.db.write() as tx:
            before = store.get_release(tx.conn, actor.reader, release_id)
            after = change(before)
            new_approval = after.approvals.get(actor.nation) if kind == "release.approved" else None
            store.save_release(tx.conn, after, before.version, new_approval)
            self._event(tx, actor, kind, release_id, after)
            if after.status is ReleaseStatus.PUBLISHED and before.status is not ReleaseStatus.PUBLISHED:
                self._event(tx, actor, "release.published", release_id, after)
        return self.get(actor, release_id)

    def _event(self, tx: Tx, actor: Actor, kind: str, release_id: int, release: Release) -> None:
        append_event(tx, at=self.clock.now(), kind=kind, item_type="release", item_id=release_id,
                     marking=release.marking, actor_id=actor.person_id, actor_nation=actor.nation,
                     payload={"status": release.status.value, "content_hash": release.content_hash,
                              "awaiting": sorted(release.awaiting),
                              "title": release.content.title})
