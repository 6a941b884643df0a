"""Audit test vectors shared with the web UI's own verifier (web/src/merkle.test.ts).

The browser checks audit proofs with its own code (web/src/merkle.ts), not the server's say-so, so
the two implementations must agree byte for byte: canonical entry encoding (Turkish, Arabic,
control characters, astral characters), leaf hashes, inclusion proofs and checkpoint notes. The
vectors come from the Python domain code and are committed as JSON; `test_audit_vectors.py` fails
when they drift. Regenerate with `python -m tests.unit.web.audit_vectors`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from concord.domain.audit import AuditEntry
from concord.domain.checkpoint import ED25519, Checkpoint, SignedNote, SignerKey, sign
from concord.domain.merkle import MemoryTree, inclusion_proof

VECTORS = Path(__file__).resolve().parents[3] / "web" / "src" / "test-vectors" / "audit.json"
TREE_SIZE = 13

_TEXTS = [
    "intel.created",
    "İstanbul ğüşçö ıİ",  # Turkish dotted and dotless i
    "بغداد — تقرير تجريبي",  # Arabic, right to left, with an em dash
    'quote " backslash \\ slash /',
    "controls \u0001 \t \n \r \b \f \u001f \u007f",
    "separators \u2028 \u2029",
    "astral \U0001f6e1 \U00010348",
]


def _entries() -> list[AuditEntry]:
    entries = []
    for i in range(TREE_SIZE):
        entries.append(AuditEntry(
            sequence=i,
            time=f"2026-11-29T12:{i:02d}:00.{i:06d}Z",
            actor_person=None if i % 5 == 4 else (i * 7919 if i % 2 else -(2**53 - 1) + i),
            actor_nation=None if i % 5 == 4 else ("TUR", "IRQ")[i % 2],
            action=_TEXTS[i % len(_TEXTS)],
            item_type="message",
            item_id=f"{i}",
            content_hash=f"{i:02x}" * 32,
            request_id=None if i % 3 == 0 else f"req-{i}",
            nonce=f"{255 - i:02x}" * 16,
        ))
    return entries


def _signer() -> SignerKey:
    # A fixed, fictional test key (seed 00 01 … 1f), never a centre's: the vectors must be reproducible.
    return SignerKey("concord.test/audit", ED25519, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))


def build() -> dict[str, Any]:
    entries = _entries()
    leaves = [entry.leaf_hash() for entry in entries]
    tree = MemoryTree()
    tree.append(leaves)
    proofs = [
        {"index": index, "size": size, "proof": [h.hex() for h in inclusion_proof(tree, index, size)]}
        for size in range(1, TREE_SIZE + 1) for index in range(size)
    ]
    signer = _signer()
    text = Checkpoint("concord.test/audit", TREE_SIZE, tree.root()).text()
    note = SignedNote(text, (sign(text, signer),)).encode()
    return {
        "entries": [{"entry": e.to_dict(), "leaf": e.leaf().decode("utf-8"), "leaf_hash": h.hex()}
                    for e, h in zip(entries, leaves, strict=True)],
        "roots": [tree.root(size).hex() for size in range(1, TREE_SIZE + 1)],
        "proofs": proofs,
        "checkpoint": note,
    }


def encoded() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=1) + "\n"


if __name__ == "__main__":
    VECTORS.write_text(encoded(), encoding="utf-8")
    print(f"wrote {VECTORS}")
