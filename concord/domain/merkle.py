"""RFC 9162 Merkle tree hashing, proofs and their verification (no I/O).

Leaves hash as SHA-256(0x00 || leaf) and interior nodes as SHA-256(0x01 || left || right)
(RFC 9162 §2.1.1). The tree over n leaves splits at k, the largest power of two smaller than n.

Storage model. A *complete aligned subtree* is identified by `(level, index)`: it covers the 2**level
leaves `[index * 2**level, (index + 1) * 2**level)`. Every hash a proof or a root needs is either such
a subtree or a "right edge" range whose hash is the right fold of a few of them (the binary digits of
its width, largest first). So a store that keeps the hash of every complete aligned subtree, written
as leaves are appended (about 2n hashes for n leaves), answers any root, inclusion proof or
consistency proof with O(log n) lookups, fetched in one batch through `NodeSource.get_nodes`.

Verification follows the algorithms of RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency)
step by step, so a reader can check them against the RFC text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

EMPTY_ROOT = hashlib.sha256(b"").digest()  # RFC 9162 §2.1.1: MTH({}) = SHA-256()

NodeKey = tuple[int, int]  # (level, index) of a complete aligned subtree


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(width: int) -> int:
    """The largest power of two smaller than `width` (width > 1)."""
    return 1 << ((width - 1).bit_length() - 1)


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """Hash of a range from the hashes of its complete subtrees, left to right (largest first)."""
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


def range_nodes(start: int, end: int) -> list[NodeKey]:
    """The complete aligned subtrees, left to right, whose right fold is MTH(D[start:end]).

    `start` must be aligned the way RFC 9162's recursion aligns it (a multiple of the largest power
    of two not above the width); every range a root or proof needs is.
    """
    if not 0 <= start < end:
        raise ValueError(f"empty or negative range [{start}, {end})")
    keys: list[NodeKey] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start % (1 << level):
            raise ValueError(f"range [{start}, {end}) is not aligned as in RFC 9162")
        keys.append((level, start >> level))
        start += 1 << level
    return keys


class NodeSource(Protocol):
    """Where proofs read complete-subtree hashes from (a database table, a list in memory)."""

    def get_nodes(self, keys: Sequence[NodeKey]) -> Sequence[bytes]:
        """The hashes of the given complete aligned subtrees, in the order asked."""
        ...


# --- which ranges a proof is made of (RFC 9162 §2.1.3.1 and §2.1.4.1, iteratively) ---------------


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Ranges whose hashes form PATH(index, D[0:size]), in proof order (leaf level first)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Ranges whose hashes form PROOF(old_size, D[0:new_size]), in proof order."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    ranges: list[tuple[int, int]] = []
    start, end, m, whole_old_tree = 0, new_size, old_size, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            whole_old_tree = False
    if not whole_old_tree:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def _range_hashes(source: NodeSource, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    per_range = [range_nodes(s, e) for s, e in ranges]
    flat = [key for keys in per_range for key in keys]
    fetched = list(source.get_nodes(flat))
    if len(fetched) != len(flat):
        raise LookupError(f"node source returned {len(fetched)} hashes for {len(flat)} keys")
    out: list[bytes] = []
    pos = 0
    for keys in per_range:
        out.append(fold_right(fetched[pos : pos + len(keys)]))
        pos += len(keys)
    return out


def root(source: NodeSource, size: int) -> bytes:
    """MTH(D[0:size])."""
    if size == 0:
        return EMPTY_ROOT
    return _range_hashes(source, [(0, size)])[0]


def inclusion_proof(source: NodeSource, index: int, size: int) -> list[bytes]:
    return _range_hashes(source, inclusion_ranges(index, size))


def consistency_proof(source: NodeSource, old_size: int, new_size: int) -> list[bytes]:
    if old_size == new_size:
        return []
    return _range_hashes(source, consistency_ranges(old_size, new_size))


# --- appending: which complete subtrees a new leaf completes -------------------------------------


class Frontier:
    """The right edge of a growing tree: the hashes of the complete subtrees that make up [0, size).

    `extend` appends leaf hashes and reports every complete aligned subtree they complete to `sink`,
    which is how storage learns which node hashes to persist. The frontier of a stored tree is
    `range_nodes(0, size)` read back from storage, so appends need O(log n) lookups to resume.
    """

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        expected = bin(size).count("1")
        if len(hashes) != expected:
            raise ValueError(f"a tree of size {size} has {expected} frontier hashes, not {len(hashes)}")
        self.size = size
        self._levels = [level for level, _ in range_nodes(0, size)] if size else []
        self._hashes = list(hashes)

    @property
    def hashes(self) -> list[bytes]:
        return list(self._hashes)

    def root(self) -> bytes:
        return fold_right(self._hashes) if self._hashes else EMPTY_ROOT

    def extend(
        self, leaf_hashes: Iterable[bytes], sink: Callable[[int, int, bytes], None] | None = None
    ) -> None:
        levels, hashes = self._levels, self._hashes
        size = self.size
        for h in leaf_hashes:
            if sink is not None:
                sink(0, size, h)
            level = 0
            # Each trailing 1 bit of the old size is a subtree of equal height that the new leaf pairs with.
            n = size
            while n & 1:
                h = node_hash(hashes.pop(), h)
                levels.pop()
                level += 1
                n >>= 1
                if sink is not None:
                    sink(level, size >> level, h)
            levels.append(level)
            hashes.append(h)
            size += 1
        self.size = size


class MemoryTree:
    """A NodeSource kept in lists, one per level: for tests, benchmarks and offline tools."""

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = []
        self._frontier = Frontier()

    @property
    def size(self) -> int:
        return self._frontier.size

    def _store(self, level: int, index: int, h: bytes) -> None:
        if level == len(self.levels):
            self.levels.append([])
        assert index == len(self.levels[level]), "subtrees are completed in order"
        self.levels[level].append(h)

    def append(self, leaf_hashes: Iterable[bytes]) -> None:
        self._frontier.extend(leaf_hashes, self._store)

    def root(self, size: int | None = None) -> bytes:
        return self._frontier.root() if size is None else root(self, size)

    def get_nodes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        return [self.levels[level][index] for level, index in keys]


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) ----------------------------------------------


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], expected_root: bytes) -> bool:
    """True if `leaf` (a leaf hash) is at `index` in the tree of `size` leaves with `expected_root`."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True if the tree of `new_size` with `new_root` extends the tree of `old_size` with `old_root`."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT  # the empty tree is a prefix of every tree
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is itself a node
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
