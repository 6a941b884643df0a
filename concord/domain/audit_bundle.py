"""Issuing checkpoints and assembling export bundles (no I/O; storage supplies the data).

The bundle format is documented in `concord.domain.audit_verify`, which is its only reader.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from concord.domain import checkpoint as notes
from concord.domain.audit import AuditEntry
from concord.domain.audit_verify import BUNDLE_FORMAT
from concord.domain.merkle import NodeSource, consistency_proof


def issue_checkpoint(origin: str, size: int, root_hash: bytes, signer: notes.SignerKey) -> str:
    """A checkpoint note signed by the centre."""
    text = notes.Checkpoint(origin, size, root_hash).text()
    return notes.SignedNote(text, (notes.sign(text, signer),)).encode()


def add_cosignature(note: str, witness: notes.SignerKey, timestamp: int) -> str:
    """The checkpoint note with one more cosignature/v1 line from `witness`."""
    parsed = notes.SignedNote.parse(note)
    return parsed.with_signature(notes.sign(parsed.text, witness, timestamp=timestamp)).encode()


def with_proofs(tree: NodeSource, notes_in_order: Sequence[str]) -> list[tuple[str, list[bytes]]]:
    """Pair checkpoint notes with consistency proofs from each one's predecessor (tests, benchmarks)."""
    out: list[tuple[str, list[bytes]]] = []
    previous = 0
    for note in notes_in_order:
        size = notes.Checkpoint.parse(notes.SignedNote.parse(note).text).size
        out.append((note, consistency_proof(tree, previous, size) if previous else []))
        previous = size
    return out


def build_bundle(
    *,
    origin: str,
    log_key: notes.VerifierKey,
    witness_keys: Mapping[str, notes.VerifierKey],
    checkpoints: Sequence[tuple[str, Sequence[bytes]]],
    leaves: Sequence[tuple[AuditEntry | None, bytes]],
) -> dict[str, Any]:
    """A bundle up to the latest of `checkpoints`: (signed note, consistency proof from the previous
    checkpoint) in ascending size. `leaves` are (entry, stored leaf hash) pairs, entry None where the reader
    may not read it; the stored hash is exported as stored, so a changed entry shows as changed."""
    return {
        "format": BUNDLE_FORMAT,
        "origin": origin,
        "log_key": log_key.encode(),
        "witness_keys": {nation: key.encode() for nation, key in sorted(witness_keys.items())},
        "checkpoints": [note for note, _ in checkpoints],
        "consistency_proofs": [[h.hex() for h in proof] for _, proof in checkpoints],
        "leaves": [
            leaf_hash.hex() if entry is None else {"entry": entry.to_dict(), "leaf_hash": leaf_hash.hex()}
            for entry, leaf_hash in leaves
        ],
    }
