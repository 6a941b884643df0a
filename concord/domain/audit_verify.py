"""The independent verifier of an exported audit bundle.

This module is what a partner nation's engineers audit, so it is small, reads top to bottom and
needs nothing but the bundle and, ideally, the keys they trust: no database, no network, no server.

A bundle is JSON:

    {"format": "concord-audit-bundle/1",
     "origin": "<log origin>",
     "log_key": "<centre's vkey>",
     "witness_keys": {"TUR": "<vkey>", ...},
     "checkpoints": ["<signed checkpoint note, with cosignature lines>", ...],   # ascending size
     "consistency_proofs": [["<hex>", ...], ...],   # [i]: from checkpoints[i-1] to checkpoints[i]; [0] = []
     "leaves": [{"entry": {...}, "leaf_hash": "<hex>"} | "<hex leaf hash>", ...]}  # leaf i = entry i

`leaves` covers exactly the latest checkpoint's size. Entries the exporting nation may read appear in
full; the others only as their leaf hash, which is all a proof needs.

The checks run in this order and stop at the first problem, which is named precisely:
 1. keys: well formed, and equal to the keys the caller trusts (if given);
 2. signatures: every checkpoint carries a valid centre signature; every cosignature line from a
    known witness verifies;
 3. checkpoints: one origin, sizes never decrease, and each checkpoint is consistent with the one
    before it (RFC 9162 §2.1.4.2);
 4. entries: entry i sits at position i (else: removed, inserted or reordered) and its content
    hashes to its leaf hash (else: changed); the number of leaves equals the latest size;
 5. the tree: rebuilt from all leaves, its root at every checkpoint's size (and at the `since`
    checkpoint's size) equals the signed root. This proves the inclusion of every entry in every
    checkpoint at once: an inclusion proof is a part of this computation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from concord.domain import checkpoint as notes
from concord.domain.audit import AuditEntry
from concord.domain.errors import Invalid
from concord.domain.merkle import Frontier, verify_consistency

BUNDLE_FORMAT = "concord-audit-bundle/1"


class ProblemKind(StrEnum):
    MALFORMED = "malformed"
    UNTRUSTED_KEY = "untrusted_key"
    MISSING_SIGNATURE = "missing_signature"
    FORGED_SIGNATURE = "forged_signature"
    FORGED_COSIGNATURE = "forged_cosignature"
    WRONG_ORIGIN = "wrong_origin"
    SIZE_DECREASED = "size_decreased"
    INCONSISTENT_CHECKPOINT = "inconsistent_checkpoint"
    ENTRY_REMOVED = "entry_removed"
    ENTRY_INSERTED = "entry_inserted"
    ENTRY_REORDERED = "entry_reordered"
    ENTRY_CHANGED = "entry_changed"
    SIZE_MISMATCH = "size_mismatch"
    ROOT_MISMATCH = "root_mismatch"
    SINCE_MISMATCH = "since_mismatch"


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    message: str


@dataclass
class Report:
    problem: Problem | None = None
    checkpoints: int = 0
    entries: int = 0
    visible_entries: int = 0
    # Size of the largest checkpoint that every witness cosigned: entries below it are witnessed.
    witnessed_size: int = 0
    cosigned_by: dict[str, int] = field(default_factory=dict)  # nation -> checkpoints it cosigned

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Stop(Exception):
    def __init__(self, kind: ProblemKind, message: str) -> None:
        super().__init__(message)
        self.problem = Problem(kind, message)


def verify_bundle(
    bundle: Mapping[str, Any],
    *,
    trusted_log_key: str | None = None,
    trusted_witness_keys: Mapping[str, str] | None = None,
    since: str | None = None,
) -> Report:
    """Verify a bundle; `since` is a signed checkpoint the caller kept from earlier (optional)."""
    report = Report()
    try:
        _verify(bundle, report, trusted_log_key, trusted_witness_keys, since)
    except _Stop as stop:
        report.problem = stop.problem
    return report


def _verify(
    bundle: Mapping[str, Any],
    report: Report,
    trusted_log_key: str | None,
    trusted_witness_keys: Mapping[str, str] | None,
    since: str | None,
) -> None:
    # 1. keys
    if not isinstance(bundle, Mapping) or bundle.get("format") != BUNDLE_FORMAT:
        raise _Stop(ProblemKind.MALFORMED, f"not a {BUNDLE_FORMAT} bundle")
    origin = _field(bundle, "origin", str)
    log_key = _key(_field(bundle, "log_key", str), "log_key")
    witness_keys = {
        nation: _key(vkey, f"witness_keys.{nation}")
        for nation, vkey in _field(bundle, "witness_keys", dict).items()
    }
    if trusted_log_key is not None and _key(trusted_log_key, "trusted log key") != log_key:
        raise _Stop(ProblemKind.UNTRUSTED_KEY, "the bundle's centre key is not the key you trust")
    for nation, vkey in (trusted_witness_keys or {}).items():
        if witness_keys.get(nation) != _key(vkey, f"trusted key of {nation}"):
            raise _Stop(
                ProblemKind.UNTRUSTED_KEY, f"the bundle's key for witness {nation} is not the key you trust"
            )

    # 2. signatures, before anything signed is believed
    checkpoints = [
        _signed_checkpoint(note, f"checkpoint {i}", log_key, witness_keys, report)
        for i, note in enumerate(_field(bundle, "checkpoints", list))
    ]
    since_checkpoint = None
    if since is not None:
        since_checkpoint = _signed_checkpoint(since, "your --since checkpoint", log_key, {}, Report())
    if not checkpoints:
        raise _Stop(ProblemKind.MISSING_SIGNATURE, "the bundle holds no signed checkpoint")
    report.checkpoints = len(checkpoints)

    # 3. the checkpoints form one append-only history
    proofs = _field(bundle, "consistency_proofs", list)
    if len(proofs) != len(checkpoints):
        raise _Stop(ProblemKind.MALFORMED, "consistency_proofs must have one entry per checkpoint")
    previous = notes.Checkpoint(origin, 0, _empty_root())
    for i, cp in enumerate(checkpoints):
        if cp.origin != origin:
            raise _Stop(ProblemKind.WRONG_ORIGIN, f"checkpoint {i} is for log {cp.origin!r}, not {origin!r}")
        if cp.size < previous.size:
            raise _Stop(
                ProblemKind.SIZE_DECREASED,
                f"checkpoint {i} has size {cp.size}, smaller than checkpoint {i - 1}'s {previous.size}",
            )
        proof = [_hex(h, f"consistency_proofs[{i}]") for h in _list(proofs[i], f"consistency_proofs[{i}]")]
        if not verify_consistency(previous.size, cp.size, previous.root_hash, cp.root_hash, proof):
            raise _Stop(
                ProblemKind.INCONSISTENT_CHECKPOINT,
                f"checkpoint {i} (size {cp.size}) is not consistent with "
                f"{'the empty log' if i == 0 else f'checkpoint {i - 1} (size {previous.size})'}: "
                "the log's history was rewritten between them",
            )
        previous = cp
    latest = checkpoints[-1]
    if since_checkpoint is not None:
        if since_checkpoint.origin != origin:
            raise _Stop(ProblemKind.WRONG_ORIGIN, "your --since checkpoint is for another log")
        if since_checkpoint.size > latest.size:
            raise _Stop(
                ProblemKind.SINCE_MISMATCH,
                f"the log shrank: your checkpoint has size {since_checkpoint.size}, "
                f"the bundle's latest only {latest.size}",
            )

    # 4. entries are where they belong and hash to their leaves
    leaves = _field(bundle, "leaves", list)
    leaf_hashes = _leaf_hashes(leaves, report)
    if len(leaf_hashes) != latest.size:
        kind = "removed" if len(leaf_hashes) < latest.size else "inserted"
        raise _Stop(
            ProblemKind.SIZE_MISMATCH,
            f"the bundle holds {len(leaf_hashes)} leaves but the latest signed checkpoint covers "
            f"{latest.size}: entries were {kind}",
        )
    report.entries = len(leaf_hashes)

    # 5. the tree rebuilt from the leaves has the signed roots
    expected = [(cp.size, cp.root_hash, f"checkpoint {i}") for i, cp in enumerate(checkpoints)]
    if since_checkpoint is not None:
        expected.append((since_checkpoint.size, since_checkpoint.root_hash, "your --since checkpoint"))
    expected.sort(key=lambda item: item[0])
    tree, verified_size = Frontier(), 0
    for size, root_hash, name in expected:
        tree.extend(leaf_hashes[tree.size : size])
        if tree.root() != root_hash:
            kind = ProblemKind.SINCE_MISMATCH if name.startswith("your") else ProblemKind.ROOT_MISMATCH
            raise _Stop(
                kind,
                f"the entries do not produce the root signed in {name} (size {size}): an entry at "
                f"position {verified_size} to {size - 1} was changed, removed, reordered or inserted",
            )
        verified_size = size


def _signed_checkpoint(
    note_text: Any,
    name: str,
    log_key: notes.VerifierKey,
    witness_keys: Mapping[str, notes.VerifierKey],
    report: Report,
) -> notes.Checkpoint:
    if isinstance(note_text, str) and f"\n\n{notes.EM_DASH} " not in note_text:
        raise _Stop(ProblemKind.MISSING_SIGNATURE, f"{name} carries no signature at all")
    try:
        note = notes.SignedNote.parse(note_text)
        checkpoint = notes.Checkpoint.parse(note.text)
    except Invalid as exc:
        raise _Stop(ProblemKind.MALFORMED, f"{name} is malformed: {exc.message}") from None
    centre = note.signatures_by(log_key)
    if not centre:
        raise _Stop(ProblemKind.MISSING_SIGNATURE, f"{name} (size {checkpoint.size}) has no centre signature")
    if not all(notes.verify(note.text, sig, log_key) for sig in centre):
        raise _Stop(
            ProblemKind.FORGED_SIGNATURE,
            f"the centre signature on {name} (size {checkpoint.size}) does not verify: "
            "its size, root or origin was changed, or the signature forged",
        )
    everyone = bool(witness_keys)
    for nation, key in witness_keys.items():
        cosignatures = note.signatures_by(key)
        if not all(notes.verify(note.text, sig, key) for sig in cosignatures):
            raise _Stop(
                ProblemKind.FORGED_COSIGNATURE,
                f"the cosignature of {nation} on {name} (size {checkpoint.size}) does not verify",
            )
        if cosignatures:
            report.cosigned_by[nation] = report.cosigned_by.get(nation, 0) + 1
        else:
            everyone = False
    if everyone:
        report.witnessed_size = max(report.witnessed_size, checkpoint.size)
    return checkpoint


def _leaf_hashes(leaves: Sequence[Any], report: Report) -> list[bytes]:
    """Leaf hashes in order, after checking that every visible entry is where and what it claims."""
    sequences = {
        leaf["entry"].get("sequence"): position
        for position, leaf in enumerate(leaves)
        if isinstance(leaf, dict) and isinstance(leaf.get("entry"), dict)
    }
    seen: set[int] = set()
    out: list[bytes] = []
    for position, leaf in enumerate(leaves):
        if isinstance(leaf, str):
            out.append(_hex(leaf, f"leaves[{position}]"))
            continue
        if not isinstance(leaf, dict) or set(leaf) != {"entry", "leaf_hash"}:
            raise _Stop(ProblemKind.MALFORMED, f"leaves[{position}] is neither a leaf hash nor an entry")
        try:
            entry = AuditEntry.from_dict(leaf["entry"])
        except Invalid as exc:
            raise _Stop(ProblemKind.MALFORMED, f"leaves[{position}]: {exc.message}") from None
        seq = entry.sequence
        if seq != position:
            if seq in seen:
                raise _Stop(
                    ProblemKind.ENTRY_INSERTED, f"entry {seq} appears again at position {position}: inserted"
                )
            if sequences.get(position) is not None:
                raise _Stop(
                    ProblemKind.ENTRY_REORDERED,
                    f"position {position} holds entry {seq} while entry {position} comes later: reordered",
                )
            if seq > position:
                raise _Stop(
                    ProblemKind.ENTRY_REMOVED,
                    f"an entry at or before position {position} was removed "
                    f"(position {position} holds entry {seq})",
                )
            raise _Stop(
                ProblemKind.ENTRY_REORDERED,
                f"entry {seq} is out of place at position {position}: "
                "moved, or an entry was inserted before it",
            )
        seen.add(seq)
        stated = _hex(leaf["leaf_hash"], f"leaves[{position}].leaf_hash")
        if entry.leaf_hash() != stated:
            raise _Stop(
                ProblemKind.ENTRY_CHANGED,
                f"entry {seq} was changed: its content does not match its leaf hash",
            )
        report.visible_entries += 1
        out.append(stated)
    return out


def _field(bundle: Mapping[str, Any], name: str, kind: type) -> Any:
    value = bundle.get(name)
    if not isinstance(value, kind):
        raise _Stop(ProblemKind.MALFORMED, f"bundle field {name!r} is missing or not a {kind.__name__}")
    return value


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Stop(ProblemKind.MALFORMED, f"{name} is not a list")
    return value


def _hex(value: Any, name: str) -> bytes:
    try:
        raw = bytes.fromhex(value)
    except (TypeError, ValueError):
        raise _Stop(ProblemKind.MALFORMED, f"{name} is not a hex hash") from None
    if len(raw) != 32:
        raise _Stop(ProblemKind.MALFORMED, f"{name} is not a 32-byte hash")
    return raw


def _key(vkey: Any, name: str) -> notes.VerifierKey:
    try:
        return notes.VerifierKey.parse(vkey)
    except Invalid as exc:
        raise _Stop(ProblemKind.MALFORMED, f"{name} is not a verifier key: {exc.message}") from None


def _empty_root() -> bytes:
    return Frontier().root()
