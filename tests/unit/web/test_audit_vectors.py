"""The committed audit vectors (checked by the web UI's verifier tests) still match the Python code."""

from __future__ import annotations

from concord.domain.audit import AuditEntry
from concord.domain.merkle import verify_inclusion
from tests.unit.web import audit_vectors


def test_committed_vectors_match_the_python_audit_code() -> None:
    committed = audit_vectors.VECTORS.read_text(encoding="utf-8")
    assert committed == audit_vectors.encoded(), (
        "web/src/test-vectors/audit.json is stale: run `python -m tests.unit.web.audit_vectors`"
    )


def test_vectors_verify_in_python() -> None:
    vectors = audit_vectors.build()
    for proof in vectors["proofs"]:
        leaf = bytes.fromhex(vectors["entries"][proof["index"]]["leaf_hash"])
        root = bytes.fromhex(vectors["roots"][proof["size"] - 1])
        assert verify_inclusion(proof["index"], proof["size"], leaf, [bytes.fromhex(h) for h in proof["proof"]], root)
    for item in vectors["entries"]:
        assert AuditEntry.from_dict(item["entry"]).leaf().decode("utf-8") == item["leaf"]
