"""Tampering with the audit tables directly, on SQLite and PostgreSQL: the verifier names it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, text

from concord.centre import Centre
from concord.domain import checkpoint as notes
from concord.domain.audit import AuditEntry
from concord.domain.audit_verify import ProblemKind, verify_bundle
from concord.domain.audit_witness import WitnessState, cosign
from concord.domain.errors import StateConflict
from concord.domain.markings import Level, Marking, Reader, Tlp
from concord.domain.merkle import MemoryTree
from concord.storage import audit as store
from concord.storage.events import append_event

TUR = Reader(None, "TUR", Level.SECRET)
_COLUMNS = (
    "seq, time, actor_person, actor_nation, action, item_type, item_id, content_hash, request_id, nonce, "
    "leaf_hash, event_id, m_level, m_originator, m_releasable_to, m_tlp, m_caveats"
)
# The same columns from an existing row, renumbered and with a different action: a forged entry.
_FORGED_COPY = _COLUMNS.replace("seq,", ":k,").replace(" action,", " 'intel.forged',")


@pytest.fixture
def log(centre: Centre) -> dict[str, Any]:
    """A log with TUR-readable and IRQ-only entries, three checkpoints, both nations cosigning."""
    witnesses = {
        n: notes.SignerKey.generate(f"{n.lower()}.example/w", notes.COSIGNATURE_V1) for n in ("TUR", "IRQ")
    }
    for nation, key in witnesses.items():
        centre.audit.register_witness(None, nation, key.verifier().encode())
    irq_only = Marking.build(Level.SECRET, "IRQ", [], Tlp.AMBER_STRICT)
    shared = Marking.build(Level.RESTRICTED, "TUR", ["IRQ"], Tlp.AMBER)
    for batch in range(3):
        with centre.db.write() as tx:
            for i in range(6):
                hidden = i == 4
                append_event(
                    tx,
                    at=centre.clock.now(),
                    kind="intel.created",
                    item_type="intel",
                    item_id=f"b{batch}-{i}",
                    marking=irq_only if hidden else shared,
                    payload={"n": i},
                    actor_nation="IRQ" if hidden else "TUR",
                )
        centre.audit.issue_checkpoint()
        for nation, key in witnesses.items():
            note, _ = centre.audit.latest()
            cosigned, _ = cosign(
                state=None,
                note=note,
                proof=[],
                log_key=notes.VerifierKey.parse(centre.audit.public_key()),
                witness=key,
                origin=centre.audit.origin,
                now=1_790_000_000,
            )
            centre.audit.add_cosignature(
                nation, notes.Checkpoint.parse(notes.SignedNote.parse(note).text).size, cosigned
            )
    bundle = centre.audit.export(TUR)
    return {"witnesses": witnesses, "bundle": bundle, "latest": bundle["checkpoints"][-1]}


def _verify(centre: Centre, log: dict[str, Any], **kwargs: Any) -> tuple[ProblemKind | None, str]:
    report = verify_bundle(
        centre.audit.export(TUR),
        trusted_log_key=centre.audit.public_key(),
        trusted_witness_keys={n: k.verifier().encode() for n, k in log["witnesses"].items()},
        **kwargs,
    )
    return (report.problem.kind, report.problem.message) if report.problem else (None, "")


def _visible(log: dict[str, Any]) -> list[int]:
    return [i for i, leaf in enumerate(log["bundle"]["leaves"]) if isinstance(leaf, dict)]


def _sql(centre: Centre, statement: str, **params: Any) -> None:
    """Run SQL straight against the database, around the services: this is the tampering."""
    with centre.db.write() as tx:
        tx.conn.execute(text(statement), params)


def _rebuild_nodes(conn: Connection) -> None:
    """What a careful forger does after changing leaves: recompute every stored subtree hash."""
    leaves = [bytes(h) for (h,) in conn.execute(text("SELECT leaf_hash FROM audit_entries ORDER BY seq"))]
    tree = MemoryTree()
    tree.append(leaves)
    conn.execute(text("DELETE FROM audit_nodes"))
    rows = [
        {"l": level, "i": i, "h": h}
        for level, hashes in enumerate(tree.levels)
        if level
        for i, h in enumerate(hashes)
    ]
    if rows:
        conn.execute(text("INSERT INTO audit_nodes (level, idx, hash) VALUES (:l, :i, :h)"), rows)


def test_the_untouched_log_verifies(centre: Centre, log: dict[str, Any]) -> None:
    assert _verify(centre, log, since=log["latest"]) == (None, "")


def test_changed_entry(centre: Centre, log: dict[str, Any]) -> None:
    k = _visible(log)[5]
    _sql(centre, "UPDATE audit_entries SET action = 'intel.deleted' WHERE seq = :k", k=k)
    kind, message = _verify(centre, log)
    assert kind is ProblemKind.ENTRY_CHANGED and f"entry {k} was changed" in message


def test_changed_entry_with_its_leaf_hash_recomputed(centre: Centre, log: dict[str, Any]) -> None:
    k = _visible(log)[5]
    with centre.db.write() as tx:
        tx.conn.execute(text("UPDATE audit_entries SET action = 'intel.deleted' WHERE seq = :k"), {"k": k})
        ((entry, _),) = store.entries_in_range(tx.conn, TUR, k, k + 1)
        assert entry is not None
        tx.conn.execute(
            text("UPDATE audit_entries SET leaf_hash = :h WHERE seq = :k"), {"h": entry.leaf_hash(), "k": k}
        )
        _rebuild_nodes(tx.conn)
    kind, message = _verify(centre, log)
    assert kind is ProblemKind.ROOT_MISMATCH and f"position 0 to {k}" not in message
    assert "was changed, removed, reordered or inserted" in message


def test_removed_entry(centre: Centre, log: dict[str, Any]) -> None:
    visible = _visible(log)
    k = next(v for v in visible if v + 1 in visible and v > 3)
    _sql(centre, "DELETE FROM audit_entries WHERE seq = :k", k=k)
    kind, message = _verify(centre, log)
    assert kind is ProblemKind.ENTRY_REMOVED and f"position {k} was removed" in message


def test_reordered_entries(centre: Centre, log: dict[str, Any]) -> None:
    # Moving rows means renumbering them, and the number is inside the hashed entry.
    visible = _visible(log)
    k = next(v for v in visible if v + 1 in visible and v > 3)
    _sql(centre, "UPDATE audit_entries SET seq = -1 WHERE seq = :k", k=k)
    _sql(centre, "UPDATE audit_entries SET seq = :k WHERE seq = :n", k=k, n=k + 1)
    _sql(centre, "UPDATE audit_entries SET seq = :n WHERE seq = -1", n=k + 1)
    kind, message = _verify(centre, log)
    assert kind is ProblemKind.ENTRY_CHANGED and f"entry {k} was changed" in message


def test_inserted_entry(centre: Centre, log: dict[str, Any]) -> None:
    visible = _visible(log)
    k = visible[4]
    _sql(centre, "UPDATE audit_entries SET seq = seq + 1000 WHERE seq >= :k", k=k)
    _sql(centre, "UPDATE audit_entries SET seq = seq - 999 WHERE seq >= 1000")
    forge = f"INSERT INTO audit_entries ({_COLUMNS}) SELECT {_FORGED_COPY} FROM audit_entries WHERE seq = :k1"  # noqa: S608 - constants
    _sql(centre, forge, k=k, k1=k + 1)
    kind, message = _verify(centre, log)
    assert kind is ProblemKind.ENTRY_CHANGED and f"entry {k} was changed" in message


def test_changed_tree_size(centre: Centre, log: dict[str, Any]) -> None:
    size = notes.Checkpoint.parse(notes.SignedNote.parse(log["latest"]).text).size
    _sql(
        centre,
        "UPDATE audit_checkpoints SET note = replace(note, :a, :b) WHERE size = :s",
        a=f"\n{size}\n",
        b=f"\n{size + 1}\n",
        s=size,
    )
    kind, message = _verify(centre, log)
    assert kind is ProblemKind.FORGED_SIGNATURE and f"(size {size + 1}) does not verify" in message


def test_truncated_log_against_a_kept_checkpoint(centre: Centre, log: dict[str, Any]) -> None:
    size = notes.Checkpoint.parse(notes.SignedNote.parse(log["latest"]).text).size
    _sql(centre, "DELETE FROM audit_checkpoints WHERE size = :s", s=size)
    _sql(centre, "DELETE FROM audit_entries WHERE seq >= :s", s=size - 3)
    kind, message = _verify(centre, log, since=log["latest"])
    assert (
        kind is ProblemKind.SINCE_MISMATCH and f"the log shrank: your checkpoint has size {size}" in message
    )


def test_forged_and_missing_centre_signature(centre: Centre, log: dict[str, Any]) -> None:
    impostor = notes.SignerKey.generate(centre.audit.origin)
    with centre.db.write() as tx:
        size, note = tx.conn.execute(
            text("SELECT size, note FROM audit_checkpoints ORDER BY size LIMIT 1")
        ).one()
        parsed = notes.SignedNote.parse(note)
        genuine = parsed.signatures[0]
        fake = notes.NoteSignature(genuine.name, genuine.key_id, notes.sign(parsed.text, impostor).signature)
        tx.conn.execute(
            text("UPDATE audit_checkpoints SET note = :n WHERE size = :s"),
            {"n": notes.SignedNote(parsed.text, (fake,)).encode(), "s": size},
        )
    kind, message = _verify(centre, log)
    assert kind is ProblemKind.FORGED_SIGNATURE and "checkpoint 0" in message
    _sql(centre, "UPDATE audit_checkpoints SET note = :n WHERE size = :s", n=parsed.text, s=size)
    kind, message = _verify(centre, log)
    assert kind is ProblemKind.MISSING_SIGNATURE and "checkpoint 0" in message


def test_forged_cosignature(centre: Centre, log: dict[str, Any]) -> None:
    with centre.db.write() as tx:
        size, line = tx.conn.execute(
            text("SELECT size, line FROM audit_cosignatures WHERE nation = 'IRQ' ORDER BY size DESC LIMIT 1")
        ).one()
        sig = notes.SignedNote.parse("x\n\n" + line + "\n").signatures[0]
        bad = notes.NoteSignature(sig.name, sig.key_id, sig.signature[:8] + bytes(64)).line().rstrip("\n")
        tx.conn.execute(
            text("UPDATE audit_cosignatures SET line = :l WHERE size = :s AND nation = 'IRQ'"),
            {"l": bad, "s": size},
        )
    kind, message = _verify(centre, log)
    assert kind is ProblemKind.FORGED_COSIGNATURE and "cosignature of IRQ" in message


def test_rewritten_history_is_refused_by_witnesses_and_the_verifier(
    centre: Centre, log: dict[str, Any]
) -> None:
    """The centre's operator rewrites an entry, rebuilds the tree and signs fresh checkpoints."""
    k = _visible(log)[2]
    with centre.db.write() as tx:
        tx.conn.execute(text("UPDATE audit_entries SET item_id = 'rewritten' WHERE seq = :k"), {"k": k})
        ((entry, _),) = store.entries_in_range(tx.conn, TUR, k, k + 1)
        assert isinstance(entry, AuditEntry)
        tx.conn.execute(
            text("UPDATE audit_entries SET leaf_hash = :h WHERE seq = :k"), {"h": entry.leaf_hash(), "k": k}
        )
        _rebuild_nodes(tx.conn)
        tx.conn.execute(text("DELETE FROM audit_cosignatures"))
        tx.conn.execute(text("DELETE FROM audit_checkpoints"))
    centre.audit.issue_checkpoint()
    assert _verify(centre, log)[0] is None  # on its own, the rewritten log is self-consistent …
    kind, _ = _verify(centre, log, since=log["latest"])  # … but not with what TUR kept
    assert kind is ProblemKind.SINCE_MISMATCH
    # A witness that cosigned the old checkpoint refuses the new one.
    old = notes.Checkpoint.parse(notes.SignedNote.parse(log["latest"]).text)
    note, row = centre.audit.latest()
    state = WitnessState(old.size, old.root_hash, log["latest"])
    proof = centre.audit.consistency(old.size, row.size) if row.size > old.size else []
    with pytest.raises(StateConflict, match=r"history was rewritten"):
        cosign(
            state=state,
            note=note,
            proof=proof,
            log_key=notes.VerifierKey.parse(centre.audit.public_key()),
            witness=log["witnesses"]["TUR"],
            origin=centre.audit.origin,
            now=1_790_000_100,
        )
