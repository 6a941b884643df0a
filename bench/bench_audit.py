"""Audit log benchmarks: hashing and tree building, proofs at a million entries, bundle verification.

Peers in the same run: raw SHA-256 of the same leaf bytes (the floor no Merkle log can beat) and
`pymerkle` (an independent RFC 9162-style tree) for tree building and proofs.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable

from pymerkle import InmemoryTree

from bench.harness import Row
from concord.domain import checkpoint as notes
from concord.domain.audit import AuditEntry
from concord.domain.audit_bundle import add_cosignature, build_bundle, issue_checkpoint, with_proofs
from concord.domain.audit_verify import verify_bundle
from concord.domain.merkle import MemoryTree, consistency_proof, inclusion_proof

ORIGIN = "bench.concord.example/audit"


def _entry(i: int) -> AuditEntry:
    return AuditEntry(
        sequence=i,
        time=f"2026-11-29T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
        actor_person=1000 + i % 97,
        actor_nation="TUR" if i % 2 else "IRQ",
        action="read" if i % 7 == 0 else "intel.updated",
        item_type="intel",
        item_id=f"indicator--{i:036d}",
        content_hash=hashlib.sha256(i.to_bytes(8, "big")).hexdigest(),
        request_id=f"req-{i:012d}",
        nonce=f"{i:032x}",
    )


def _best(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run(quick: bool) -> list[Row]:
    n = 100_000 if quick else 1_000_000
    label = f"{n // 1000}k" if n < 1_000_000 else "1M"
    rows: list[Row] = []

    entries = [_entry(i) for i in range(n)]
    leaves = [e.leaf() for e in entries]

    # 1. encode + hash + build the tree, against raw SHA-256 of the same bytes.
    start = time.perf_counter()
    tree = MemoryTree()
    tree.append(e.leaf_hash() for e in entries)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    for leaf in leaves:
        hashlib.sha256(leaf).digest()
    floor = time.perf_counter() - start
    rows.append(
        Row(
            f"audit: encode+hash+tree, {label} entries",
            n / ours,
            n / floor,
            "entries/s",
            "floor = raw SHA-256 of the same bytes (persisting: bench_audit_storage)",
            peer_name="raw SHA-256",
        )
    )

    # 2. tree building from leaf bytes against pymerkle, at the same size.
    start = time.perf_counter()
    ours_tree = MemoryTree()
    ours_tree.append(hashlib.sha256(b"\x00" + leaf).digest() for leaf in leaves)
    ours = time.perf_counter() - start
    oracle = InmemoryTree(algorithm="sha256")
    start = time.perf_counter()
    for leaf in leaves:
        oracle.append_entry(leaf)
    peer = time.perf_counter() - start
    rows.append(
        Row(
            f"audit: tree appends, {label} leaves",
            n / ours,
            n / peer,
            "entries/s",
            "faster than pymerkle",
            peer_name="pymerkle",
        )
    )
    assert ours_tree.root() == oracle.get_root() == tree.root()

    # 3. proofs at n entries, from stored complete-subtree hashes; pymerkle (1-based) on the same tree.
    indexes = [(i * 7919) % n for i in range(200)]
    olds = [1 + (i * 104729) % (n - 1) for i in range(200)]
    incl = _best(lambda: [inclusion_proof(tree, i, n) for i in indexes], 3) / len(indexes)
    incl_peer = _best(lambda: [oracle.prove_inclusion(i + 1, n) for i in indexes], 3) / len(indexes)
    cons = _best(lambda: [consistency_proof(tree, m, n) for m in olds], 3) / len(olds)
    cons_peer = _best(lambda: [oracle.prove_consistency(m, n) for m in olds], 3) / len(olds)
    rows.append(
        Row(
            f"audit: inclusion proof at {label}",
            incl * 1e3,
            incl_peer * 1e3,
            "ms",
            "< 1 ms",
            higher_is_better=False,
            peer_name="pymerkle",
        )
    )
    rows.append(
        Row(
            f"audit: consistency proof at {label}",
            cons * 1e3,
            cons_peer * 1e3,
            "ms",
            "< 1 ms",
            higher_is_better=False,
            peer_name="pymerkle",
        )
    )

    # 4. verifying an exported bundle: every 1000 entries a checkpoint cosigned by two nations;
    #    half the entries visible in full, the others as leaf hashes.
    centre = notes.SignerKey.generate(ORIGIN)
    witnesses = {
        nation: notes.SignerKey.generate(f"{nation.lower()}.bench.example/w", notes.COSIGNATURE_V1)
        for nation in ("IRQ", "TUR")
    }
    checkpoints = []
    for size in range(1000, n + 1, 1000):
        note = issue_checkpoint(ORIGIN, size, tree.root(size), centre)
        for witness in witnesses.values():
            note = add_cosignature(note, witness, 1_790_000_000 + size)
        checkpoints.append(note)
    bundle = build_bundle(
        origin=ORIGIN,
        log_key=centre.verifier(),
        witness_keys={k: w.verifier() for k, w in witnesses.items()},
        checkpoints=with_proofs(tree, checkpoints),
        leaves=[(e if e.sequence % 2 else None, e.leaf_hash()) for e in entries],
    )
    blob = json.dumps(bundle).encode()
    del bundle
    start = time.perf_counter()
    report = verify_bundle(json.loads(blob), trusted_log_key=centre.verifier().encode())
    ours = time.perf_counter() - start
    assert report.ok and report.entries == n, report.problem
    start = time.perf_counter()
    for leaf in leaves:
        hashlib.sha256(leaf).digest()
    floor = time.perf_counter() - start
    rows.append(
        Row(
            f"audit: verify a {label}-entry bundle ({len(blob) >> 20} MiB)",
            ours,
            floor,
            "s",
            "< 60 s; floor = raw SHA-256 of the leaves",
            higher_is_better=False,
            peer_name="raw SHA-256",
        )
    )
    return rows
