"""The node-to-node feed of the event log: what an entry carries, and the receiver's checks (no I/O).

An entry is the *current state* of one item a node originated (or a removal of it), not a replay of
each event: applying it twice, or an older page again after a restart, changes nothing, and a node
that was away for a week needs only the latest state. The sender's event log orders the entries and
gives the position a receiver resumes after.

Approvals are the one thing a node originates about another node's item: a nation decides on an
operation on its own node, and its node carries the decision, signed with its node key over the
operation's origin, the version and a digest of that version's plan (`statement`), to the others. A
receiver keeps the signed statement, so a nation can show later what the other approved.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from concord.domain.errors import Invalid
from concord.domain.federation import Peer, reader_of
from concord.domain.incident_facts import Counts, Links, Location
from concord.domain.incidents import Incident, IncidentReport, IncidentStatus, TimelineEntry, TimelineKind
from concord.domain.markings import Marking, can_see
from concord.domain.operation_lifecycle import Approval, Decision

#: The kinds of item the feed carries, in this slice (intelligence flows over TAXII).
ITEM_TYPES = ("operation", "incident")
#: Bumped when an entry's shape changes incompatibly; a receiver refuses a feed it cannot read.
FEED_VERSION = 1


def stamp(moment: datetime) -> str:
    """A time as the feed writes it: UTC, to the microsecond (a copy compares equal to its original)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def moment(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise Invalid("a time is an ISO 8601 string", field=field)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid("a time is an ISO 8601 string", field=field) from None
    if parsed.tzinfo is None:
        raise Invalid("a time carries its offset", field=field)
    return parsed.astimezone(UTC)


def marking_of(raw: Any) -> Marking:
    """A marking as an entry carries it (`Marking.to_dict`)."""
    if not isinstance(raw, Mapping):
        raise Invalid("an entry carries its marking", field="marking")
    try:
        return Marking.build(raw["level"], raw["originator"], raw.get("releasable_to", ()), raw.get("tlp", "amber"),
                             raw.get("caveats", ()))
    except (KeyError, ValueError, TypeError) as exc:
        raise Invalid(f"the entry's marking does not read: {exc}", field="marking") from None


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def plan_digest(plan: Mapping[str, Any]) -> str:
    """What an approval binds: SHA-256 of the version's plan, canonical JSON (`plan_to_dict`)."""
    return "sha256:" + hashlib.sha256(canonical(plan)).hexdigest()


def approval_statement(*, origin_node: str, origin_id: str, approval: Approval, digest: str,
                       signer: str) -> dict[str, Any]:
    """What a nation's node signs for one decision on an operation (the operation named by its
    originator's node and its id there, so every node reads the same statement)."""
    return {"type": "concord-approval/v1", "operation": {"node": origin_node, "id": origin_id},
            "version": approval.version, "plan": digest, "nation": approval.nation,
            "decision": approval.decision.value, "reason": approval.reason, "at": stamp(approval.at),
            "signer": signer}


def encode_signature(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def decode_signature(text: Any) -> bytes:
    try:
        raw = base64.b64decode(str(text), validate=True)
    except ValueError:
        raise Invalid("a signature is base64", field="signature") from None
    if len(raw) != 64:
        raise Invalid("an Ed25519 signature is 64 bytes", field="signature")
    return raw


def approval_of(statement: Mapping[str, Any], person_id: int) -> Approval:
    """The decision a checked statement records, as this node stores it (its person is the peer node)."""
    try:
        decision = Decision(statement["decision"])
        version = int(statement["version"])
    except (KeyError, ValueError, TypeError):
        raise Invalid("the approval's decision or version does not read", field="decision") from None
    reason = statement.get("reason")
    return Approval(str(statement.get("nation")), person_id, version, decision,
                    reason if isinstance(reason, str) else None, moment(statement.get("at"), "at"))


def approval_refusal(peer: Peer, statement: Mapping[str, Any], operation: Marking | None,
                     participants: tuple[str, ...], digest: str | None) -> str | None:
    """The receiver's check of an approval a peer carried: why it is refused, or None.

    A node carries only its own nation's decisions, on an operation its nation takes part in and may
    see (so it could have decided on it), for a version whose plan is the one this node holds."""
    if statement.get("nation") != peer.nation:
        return f"a decision for {statement.get('nation')}, not for the peer's nation {peer.nation}"
    if statement.get("signer") != peer.node_id:
        return "signed for another node"
    if operation is None:
        return "about an operation this node does not hold"
    if not can_see(reader_of(peer), operation) or peer.nation not in participants:
        return f"about an operation {peer.nation} does not take part in or may not see"
    if digest is None or statement.get("plan") != digest:
        return "for a plan this node does not hold for that version"
    return None


# --- incidents -----------------------------------------------------------------------------------
def incident_entry(incident: Incident, timeline: list[TimelineEntry]) -> dict[str, Any]:
    """An incident as the feed carries it. Assignees are people of the sender's node and links to its
    operations and incidents are its ids: neither means anything on another node, so neither travels
    (links to intelligence are STIX ids and do)."""
    report = incident.report
    return {
        "reporter": incident.reporter, "category": report.category, "title": report.title,
        "description": report.description, "location": report.location.to_dict(),
        "occurred_from": stamp(report.occurred_from),
        "occurred_until": stamp(report.occurred_until) if report.occurred_until else None,
        "counts": report.counts.to_dict(), "marking": report.marking.to_dict(), "partners": sorted(report.partners),
        "links": {"intel": list(report.links.intel)}, "status": incident.status.value,
        "acknowledged_by": sorted(incident.acknowledged_by), "closing_note": incident.closing_note,
        "reported_at": stamp(incident.reported_at), "updated_at": stamp(incident.updated_at),
        "version": incident.version,
        "timeline": [{"at": stamp(e.at), "nation": e.nation, "kind": e.kind.value, "text": e.text,
                      "details": dict(e.details)} for e in timeline],
    }


def incident_of(raw: Mapping[str, Any], local_id: int | None) -> tuple[Incident, list[TimelineEntry]]:
    """The inverse of `incident_entry` (an entry that does not read raises Invalid, naming the field)."""
    try:
        report = IncidentReport(
            category=str(raw["category"]), title=str(raw["title"]), description=str(raw["description"]),
            location=Location.parse(raw["location"]), occurred_from=moment(raw["occurred_from"], "occurred_from"),
            occurred_until=(moment(raw["occurred_until"], "occurred_until")
                            if raw.get("occurred_until") else None),
            counts=Counts.parse(raw.get("counts")), marking=marking_of(raw.get("marking")),
            partners=frozenset(str(n) for n in raw.get("partners", ())),
            links=Links(tuple(str(i) for i in (raw.get("links") or {}).get("intel", ())), (), ()),
        )
        incident = Incident(
            id=local_id, reporter=str(raw["reporter"]), report=report, status=IncidentStatus(raw["status"]),
            reported_at=moment(raw["reported_at"], "reported_at"), updated_at=moment(raw["updated_at"], "updated_at"),
            acknowledged_by=frozenset(str(n) for n in raw.get("acknowledged_by", ())), assignees={},
            closing_note=str(raw.get("closing_note", "")), version=int(raw["version"]),
        )
        timeline = [TimelineEntry(moment(e["at"], "timeline.at"), str(e["nation"]), None, TimelineKind(e["kind"]),
                                  str(e.get("text", "")), dict(e.get("details") or {}))
                    for e in raw.get("timeline", ())]
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise Invalid(f"the incident entry does not read: {exc}", field="incident") from None
    return incident, timeline
