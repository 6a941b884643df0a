"""The independent bundle verifier: a genuine bundle verifies, and each kind of tampering is named."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from concord.domain import checkpoint as notes
from concord.domain.audit import AuditEntry
from concord.domain.audit_bundle import add_cosignature, build_bundle, issue_checkpoint, with_proofs
from concord.domain.audit_verify import ProblemKind, verify_bundle
from concord.domain.merkle import MemoryTree, leaf_hash

ORIGIN = "concord.example/audit"
CENTRE = notes.SignerKey.generate(ORIGIN)
WITNESSES = {
    "IRQ": notes.SignerKey.generate("irq.concord.example/witness", notes.COSIGNATURE_V1),
    "TUR": notes.SignerKey.generate("tur.concord.example/witness", notes.COSIGNATURE_V1),
}
SIZES = (5, 12, 12, 30)  # checkpoint sizes; the last covers every leaf
HIDDEN = {4, 9, 10, 21}  # entries the exporting nation may not read: leaf hashes only


def make_entry(i: int) -> AuditEntry:
    return AuditEntry(
        sequence=i,
        time=f"2026-11-29T12:{i // 60:02d}:{i % 60:02d}Z",
        actor_person=100 + i % 3,
        actor_nation="TUR" if i % 2 else "IRQ",
        action="intel.created" if i % 5 else "read",
        item_type="intel",
        item_id=f"item-{i}",
        content_hash=f"{i:064x}",
        request_id=f"req-{i}",
        nonce=f"{i:032x}",
    )


ENTRIES = [make_entry(i) for i in range(SIZES[-1])]


def make_bundle(entries: list[AuditEntry] = ENTRIES, cosign_upto: int = 3) -> dict[str, Any]:
    tree = MemoryTree()
    checkpoints = []
    for n, size in enumerate(SIZES):
        tree.append(e.leaf_hash() for e in entries[tree.size : size])
        note = issue_checkpoint(ORIGIN, size, tree.root(), CENTRE)
        if n < cosign_upto:
            for witness in WITNESSES.values():
                note = add_cosignature(note, witness, 1_790_000_000 + n)
        checkpoints.append(note)
    leaves = [(None if e.sequence in HIDDEN else e, e.leaf_hash()) for e in entries[: SIZES[-1]]]
    return build_bundle(
        origin=ORIGIN,
        log_key=CENTRE.verifier(),
        witness_keys={n: w.verifier() for n, w in WITNESSES.items()},
        checkpoints=with_proofs(tree, checkpoints),
        leaves=leaves,
    )


@pytest.fixture
def bundle() -> dict[str, Any]:
    return make_bundle()


def verify(bundle: dict[str, Any], **kwargs: Any) -> tuple[ProblemKind | None, str]:
    report = verify_bundle(
        bundle,
        trusted_log_key=CENTRE.verifier().encode(),
        trusted_witness_keys={n: w.verifier().encode() for n, w in WITNESSES.items()},
        **kwargs,
    )
    return (report.problem.kind, report.problem.message) if report.problem else (None, "")


def test_a_genuine_bundle_verifies(bundle: dict[str, Any]) -> None:
    report = verify_bundle(bundle, trusted_log_key=CENTRE.verifier().encode())
    assert report.ok, report.problem
    assert (report.checkpoints, report.entries, report.visible_entries) == (4, 30, 30 - len(HIDDEN))
    assert report.witnessed_size == 12  # the checkpoint of size 30 is not cosigned yet
    assert report.cosigned_by == {"IRQ": 3, "TUR": 3}


def test_since_an_earlier_checkpoint(bundle: dict[str, Any]) -> None:
    assert verify(bundle, since=bundle["checkpoints"][1]) == (None, "")
    other = [make_entry(i) for i in range(30)]
    other[7] = make_entry(70)  # a different history signed by the same centre key: a split view
    forked = make_bundle(other)
    kind, message = verify(bundle, since=forked["checkpoints"][1])
    assert kind is ProblemKind.SINCE_MISMATCH and "your --since checkpoint (size 12)" in message
    longer = issue_checkpoint(ORIGIN, 40, bytes(32), CENTRE)
    assert verify(bundle, since=longer)[0] is ProblemKind.SINCE_MISMATCH


def _leaf(b: dict[str, Any], i: int) -> dict[str, Any]:
    leaf = b["leaves"][i]
    assert isinstance(leaf, dict)
    return leaf


def _change_content(b: dict[str, Any]) -> None:
    _leaf(b, 7)["entry"]["action"] = "intel.deleted"


def _change_content_and_leaf_hash(b: dict[str, Any]) -> None:
    _leaf(b, 7)["entry"]["action"] = "intel.deleted"
    _leaf(b, 7)["leaf_hash"] = AuditEntry.from_dict(_leaf(b, 7)["entry"]).leaf_hash().hex()


def _change_hidden_leaf(b: dict[str, Any]) -> None:
    b["leaves"][21] = leaf_hash(b"something else").hex()


def _remove(b: dict[str, Any]) -> None:
    del b["leaves"][7]


def _remove_last(b: dict[str, Any]) -> None:
    del b["leaves"][-1]


def _reorder(b: dict[str, Any]) -> None:
    b["leaves"][7], b["leaves"][8] = b["leaves"][8], b["leaves"][7]


def _insert(b: dict[str, Any]) -> None:
    b["leaves"].insert(8, copy.deepcopy(b["leaves"][7]))


def _insert_renumbered(b: dict[str, Any]) -> None:
    # A forged entry slipped in with every later entry renumbered and rehashed: only the roots tell.
    forged = [*ENTRIES[:7], make_entry(999), *ENTRIES[7:]]
    renumbered = [AuditEntry(**{**e.to_dict(), "sequence": i}) for i, e in enumerate(forged)]
    b["leaves"] = [
        e.leaf_hash().hex() if i in HIDDEN else {"entry": e.to_dict(), "leaf_hash": e.leaf_hash().hex()}
        for i, e in enumerate(renumbered[:30])
    ]


def _change_size(b: dict[str, Any]) -> None:
    b["checkpoints"][1] = b["checkpoints"][1].replace("\n12\n", "\n13\n", 1)


def _forge_signature(b: dict[str, Any]) -> None:
    # Someone without the centre's private key signs a checkpoint with their own key under the
    # centre's name and key id.
    genuine = notes.SignedNote.parse(b["checkpoints"][0])
    impostor = notes.SignerKey.generate(ORIGIN)
    forged = notes.sign(genuine.text, impostor)
    fake = notes.NoteSignature(ORIGIN, genuine.signatures[0].key_id, forged.signature)
    b["checkpoints"][0] = notes.SignedNote(genuine.text, (fake, *genuine.signatures[1:])).encode()


def _drop_signature(b: dict[str, Any]) -> None:
    parsed = notes.SignedNote.parse(b["checkpoints"][2])
    b["checkpoints"][2] = notes.SignedNote(parsed.text, parsed.signatures[1:]).encode()


def _forge_cosignature(b: dict[str, Any]) -> None:
    parsed = notes.SignedNote.parse(b["checkpoints"][1])
    tur = next(s for s in parsed.signatures if s.name.startswith("tur."))
    bad = notes.NoteSignature(tur.name, tur.key_id, tur.signature[:8] + bytes(64))
    b["checkpoints"][1] = notes.SignedNote(
        parsed.text, tuple(bad if s is tur else s for s in parsed.signatures)
    ).encode()


def _shrink(b: dict[str, Any]) -> None:
    b["checkpoints"][1], b["checkpoints"][0] = b["checkpoints"][0], b["checkpoints"][1]


def _inconsistent_checkpoint(b: dict[str, Any]) -> None:
    # The centre signs a checkpoint of size 30 whose history differs from the one it signed at 12.
    other = [*ENTRIES[:3], make_entry(77), *ENTRIES[4:]]
    forked = make_bundle(other)
    b["checkpoints"][3] = forked["checkpoints"][3]
    b["consistency_proofs"][3] = forked["consistency_proofs"][3]


def _wrong_key(b: dict[str, Any]) -> None:
    b["log_key"] = notes.SignerKey.generate(ORIGIN).verifier().encode()


@pytest.mark.parametrize(
    ("tamper", "kind", "words"),
    [
        (_change_content, ProblemKind.ENTRY_CHANGED, "entry 7 was changed"),
        (_change_content_and_leaf_hash, ProblemKind.ROOT_MISMATCH, "(size 12): an entry at position 5 to 11"),
        (_change_hidden_leaf, ProblemKind.ROOT_MISMATCH, "(size 30): an entry at position 12 to 29"),
        (_remove, ProblemKind.ENTRY_REMOVED, "at or before position 7 was removed"),
        (_remove_last, ProblemKind.SIZE_MISMATCH, "holds 29 leaves but the latest signed checkpoint covers"),
        (_reorder, ProblemKind.ENTRY_REORDERED, "position 7 holds entry 8 while entry 7 comes later"),
        (_insert, ProblemKind.ENTRY_INSERTED, "entry 7 appears again at position 8"),
        (_insert_renumbered, ProblemKind.ROOT_MISMATCH, "checkpoint 1 (size 12)"),
        (_change_size, ProblemKind.FORGED_SIGNATURE, "checkpoint 1 (size 13) does not verify"),
        (_forge_signature, ProblemKind.FORGED_SIGNATURE, "checkpoint 0 (size 5) does not verify"),
        (_drop_signature, ProblemKind.MISSING_SIGNATURE, "checkpoint 2 (size 12) has no centre"),
        (_forge_cosignature, ProblemKind.FORGED_COSIGNATURE, "cosignature of TUR on checkpoint 1"),
        (_shrink, ProblemKind.SIZE_DECREASED, "checkpoint 1 has size 5, smaller than checkpoint 0's 12"),
        (_inconsistent_checkpoint, ProblemKind.INCONSISTENT_CHECKPOINT, "3 (size 30) is not consistent"),
        (_wrong_key, ProblemKind.UNTRUSTED_KEY, "centre key is not the key you trust"),
    ],
)
def test_tampering_is_named(
    bundle: dict[str, Any], tamper: Callable[[dict[str, Any]], None], kind: ProblemKind, words: str
) -> None:
    tamper(bundle)
    found, message = verify(bundle)
    assert found is kind, message
    assert words in message


def test_signatures_are_checked_before_entries(bundle: dict[str, Any]) -> None:
    _change_content(bundle)
    _drop_signature(bundle)
    assert verify(bundle)[0] is ProblemKind.MISSING_SIGNATURE


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b.pop("leaves"),
        lambda b: b.update(format="other"),
        lambda b: b["leaves"].__setitem__(0, "zz"),
        lambda b: b["leaves"].__setitem__(0, {"entry": {}, "leaf_hash": "00" * 32}),
        lambda b: b["checkpoints"].__setitem__(0, "not a note"),
        lambda b: b["consistency_proofs"].pop(),
        lambda b: b.update(checkpoints=[], consistency_proofs=[]),
    ],
)
def test_malformed_bundles_are_refused_clearly(
    bundle: dict[str, Any], damage: Callable[[dict[str, Any]], None]
) -> None:
    damage(bundle)
    kind, message = verify(bundle)
    assert kind in (ProblemKind.MALFORMED, ProblemKind.MISSING_SIGNATURE)
    assert message
