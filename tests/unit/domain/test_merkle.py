"""RFC 9162 tree hashing and proofs, checked against pymerkle as an independent implementation."""

from __future__ import annotations

import hashlib

import pytest
from pymerkle import InmemoryTree

from concord.domain.merkle import (
    EMPTY_ROOT,
    Frontier,
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    range_nodes,
    verify_consistency,
    verify_inclusion,
)

MAX_SIZE = 140


def _data(i: int) -> bytes:
    return f"entry {i}".encode()


@pytest.fixture(scope="module")
def trees() -> tuple[MemoryTree, InmemoryTree]:
    ours, oracle = MemoryTree(), InmemoryTree(algorithm="sha256")
    for i in range(MAX_SIZE):
        ours.append([leaf_hash(_data(i))])
        oracle.append_entry(_data(i))
    return ours, oracle


def test_hashes_use_the_rfc_9162_domain_separation() -> None:
    assert leaf_hash(b"a") == hashlib.sha256(b"\x00a").digest()
    assert node_hash(b"l", b"r") == hashlib.sha256(b"\x01lr").digest()
    assert MemoryTree().root() == EMPTY_ROOT == hashlib.sha256(b"").digest()


def test_roots_match_the_oracle_for_every_size(trees: tuple[MemoryTree, InmemoryTree]) -> None:
    ours, oracle = trees
    for size in range(1, MAX_SIZE + 1):
        assert ours.root(size) == oracle.get_root(size), size


def test_frontier_root_matches_at_every_size() -> None:
    frontier, oracle = Frontier(), InmemoryTree(algorithm="sha256")
    for i in range(MAX_SIZE):
        frontier.extend([leaf_hash(_data(i))])
        oracle.append_entry(_data(i))
        assert frontier.root() == oracle.get_root(i + 1)


def test_frontier_resumes_from_stored_subtrees(trees: tuple[MemoryTree, InmemoryTree]) -> None:
    ours, oracle = trees
    for size in (1, 5, 64, 99):
        resumed = Frontier(size, ours.get_nodes(range_nodes(0, size)))
        resumed.extend([leaf_hash(_data(i)) for i in range(size, MAX_SIZE)])
        assert resumed.root() == oracle.get_root(MAX_SIZE)


def test_inclusion_proofs_for_every_size_and_index(trees: tuple[MemoryTree, InmemoryTree]) -> None:
    ours, oracle = trees
    for size in range(1, MAX_SIZE + 1):
        root = oracle.get_root(size)
        for index in range(size):
            proof = inclusion_proof(ours, index, size)
            # pymerkle counts leaves from 1 and puts the leaf itself first in its path.
            reference = oracle.prove_inclusion(index + 1, size)
            assert proof == reference.path[1:], (index, size)
            leaf = oracle.get_leaf(index + 1)
            assert verify_inclusion(index, size, leaf, proof, root)
            assert not verify_inclusion(index, size, leaf_hash(b"other"), proof, root)
            if proof:
                bent = [*proof[:-1], bytes(32)]
                assert not verify_inclusion(index, size, leaf, bent, root)
                assert not verify_inclusion(index, size, leaf, proof[:-1], root)
            assert not verify_inclusion(index + size, size, leaf, proof, root)


def test_consistency_proofs_for_every_pair_of_sizes(trees: tuple[MemoryTree, InmemoryTree]) -> None:
    ours, oracle = trees
    leaves = [oracle.get_leaf(i + 1) for i in range(MAX_SIZE)]
    for new in range(1, MAX_SIZE + 1):
        new_root = oracle.get_root(new)
        for old in range(1, new + 1):
            old_root = oracle.get_root(old)
            proof = consistency_proof(ours, old, new)
            assert verify_consistency(old, new, old_root, new_root, proof), (old, new)
            if old < new:
                assert proof == _rfc_consistency_proof(leaves[:new], old), (old, new)
                assert not verify_consistency(old, new, new_root, new_root, proof)
                assert not verify_consistency(old, new, old_root, old_root, proof)
                assert not verify_consistency(old, new, old_root, new_root, [*proof, bytes(32)])
                assert not verify_consistency(old, new, old_root, new_root, proof[1:])
                assert not verify_consistency(old - 1 or new, new, old_root, new_root, proof)


def _mth(leaves: list[bytes]) -> bytes:
    """MTH straight from RFC 9162 §2.1.1, recursively, over leaf hashes (pymerkle gives the leaves)."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def _rfc_consistency_proof(leaves: list[bytes], m: int) -> list[bytes]:
    """PROOF(m, D[n]) straight from RFC 9162 §2.1.4.1, recursively."""

    def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
        if m == len(d):
            return [] if b else [_mth(d)]
        k = 1 << ((len(d) - 1).bit_length() - 1)
        if m <= k:
            return [*subproof(m, d[:k], b), _mth(d[k:])]
        return [*subproof(m - k, d[k:], False), _mth(d[:k])]

    return subproof(m, leaves, True)


def test_consistency_from_the_empty_tree_and_to_itself() -> None:
    tree = MemoryTree()
    tree.append([leaf_hash(_data(i)) for i in range(5)])
    assert verify_consistency(0, 5, EMPTY_ROOT, tree.root(), [])
    assert verify_consistency(5, 5, tree.root(), tree.root(), [])
    assert not verify_consistency(5, 5, tree.root(), EMPTY_ROOT, [])
    assert not verify_consistency(5, 3, tree.root(), tree.root(3), [])


def test_proofs_need_logarithmically_many_stored_nodes() -> None:
    class Counting(MemoryTree):
        asked = 0

        def get_nodes(self, keys):  # type: ignore[no-untyped-def]
            self.asked += len(keys)
            return super().get_nodes(keys)

    tree = Counting()
    tree.append([leaf_hash(_data(i)) for i in range(5000)])
    for index in (0, 1234, 4095, 4096, 4998):
        tree.asked = 0
        inclusion_proof(tree, index, 4999)
        assert tree.asked <= 2 * 13
    tree.asked = 0
    consistency_proof(tree, 1111, 4999)
    assert tree.asked <= 2 * 13


def test_ranges_that_rfc_9162_never_asks_for_are_refused() -> None:
    with pytest.raises(ValueError):
        range_nodes(3, 7)
    with pytest.raises(ValueError):
        inclusion_proof(MemoryTree(), 0, 0)
    with pytest.raises(ValueError):
        Frontier(3, [bytes(32)])
