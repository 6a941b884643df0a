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


def build_bundle(
    *,
    origin: str,
    log_key: notes.VerifierKey,
    witness_keys: Mapping[str, notes.VerifierKey],
    checkpoints: Sequence[str],
    tree: NodeSource,
    leaves: Sequence[AuditEntry | bytes],
) -> dict[str, Any]:
    """A bundle of `leaves` (full entries the reader may see, leaf hashes for the rest) up to the
    latest of `checkpoints` (signed notes in ascending size), with consistency proofs between them."""
    sizes = [notes.Checkpoint.parse(notes.SignedNote.parse(note).text).size for note in checkpoints]
    proofs: list[list[str]] = []
    previous = 0
    for size in sizes:
        proof = consistency_proof(tree, previous, size) if previous else []
        proofs.append([h.hex() for h in proof])
        previous = size
    return {
        "format": BUNDLE_FORMAT,
        "origin": origin,
        "log_key": log_key.encode(),
        "witness_keys": {nation: key.encode() for nation, key in sorted(witness_keys.items())},
        "checkpoints": list(checkpoints),
        "consistency_proofs": proofs,
        "leaves": [
            {"entry": leaf.to_dict(), "leaf_hash": leaf.leaf_hash().hex()}
            if isinstance(leaf, AuditEntry)
            else leaf.hex()
            for leaf in leaves
        ],
    }
