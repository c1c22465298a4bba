"""RFC 9162 §2.1 Merkle tree hashing and proofs, pure and self-contained (only ``hashlib``), so the auditor, the
tests and the label page's script can each be checked against the same few functions.

Leaf hash ``SHA-256(0x00 ‖ entry)``, node hash ``SHA-256(0x01 ‖ left ‖ right)``; the hash of the empty tree is
``SHA-256("")``. The split point of ``n > 1`` leaves is the largest power of two below ``n``.

Proofs are built from a ``get(level, index)`` callable that returns the hash of the *complete* subtree of ``2**level``
leaves starting at leaf ``index * 2**level`` (level 0 is the leaf hashes). Every hash a proof needs is such a
subtree or, on the right edge, a few of them combined, so a proof costs O(log n) stored hashes:
``needed_inclusion`` / ``needed_consistency`` list them first, so a store can read them in one query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

Get = Callable[[int, int], bytes]

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two strictly below ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over already-hashed leaves, by the definition (the naive recomputation tests compare against)."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = split(n)
    return node_hash(root_of_leaves(leaf_hashes[:k]), root_of_leaves(leaf_hashes[k:]))


def root(entries: Sequence[bytes]) -> bytes:
    return root_of_leaves([leaf_hash(e) for e in entries])


def subtree(get: Get, start: int, end: int) -> bytes:
    """MTH(D[start:end]) where ``start`` is aligned to the subtree's size as RFC 9162's recursion always leaves it
    (``end - start`` a power of two, or ``end`` the tree's right edge)."""
    n = end - start
    if n <= 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0:
        level = n.bit_length() - 1
        return get(level, start >> level)
    k = split(n)
    return node_hash(subtree(get, start, start + k), subtree(get, start + k, end))


def tree_root(get: Get, size: int) -> bytes:
    return subtree(get, 0, size)


def inclusion_proof(get: Get, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, leaf side first."""
    if not 0 <= index < size:
        raise ValueError("index must be below tree_size")
    return _path(get, index, 0, size)


def _path(get: Get, m: int, start: int, end: int) -> list[bytes]:
    n = end - start
    if n == 1:
        return []
    k = split(n)
    if m < k:
        return [*_path(get, m, start, start + k), subtree(get, start + k, end)]
    return [*_path(get, m - k, start + k, end), subtree(get, start, start + k)]


def consistency_proof(get: Get, first: int, second: int) -> list[bytes]:
    """PROOF(first, D[0:second]) of RFC 9162 §2.1.4.1 (empty when ``first`` is 0 or equals ``second``)."""
    if not 0 <= first <= second:
        raise ValueError("first must be at most second")
    if first == 0 or first == second:
        return []
    return _subproof(get, first, 0, second, True)


def _subproof(get: Get, m: int, start: int, end: int, whole: bool) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if whole else [subtree(get, start, end)]
    k = split(n)
    if m <= k:
        return [*_subproof(get, m, start, start + k, whole), subtree(get, start + k, end)]
    return [*_subproof(get, m - k, start + k, end, False), subtree(get, start, start + k)]


def recorder() -> tuple[Get, set[tuple[int, int]]]:
    seen: set[tuple[int, int]] = set()

    def get(level: int, index: int) -> bytes:
        seen.add((level, index))
        return EMPTY_ROOT

    return get, seen


def needed_inclusion(index: int, size: int) -> set[tuple[int, int]]:
    """The (level, index) subtree hashes ``inclusion_proof(index, size)`` reads."""
    get, seen = recorder()
    inclusion_proof(get, index, size)
    return seen


def needed_consistency(first: int, second: int) -> set[tuple[int, int]]:
    get, seen = recorder()
    consistency_proof(get, first, second)
    tree_root(get, second)
    return seen


def completed_by(index: int) -> list[tuple[int, int]]:
    """The complete subtrees (level >= 1) that appending leaf ``index`` completes, lowest first."""
    done = []
    level = 1
    while (index + 1) % (1 << level) == 0:
        done.append((level, index >> level))
        level += 1
    return done


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) ---------------------------------------------------------


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to; raise ValueError if the proof has the wrong shape."""
    if not 0 <= index < size:
        raise ValueError("index must be below tree_size")
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            raise ValueError("inclusion proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("inclusion proof too short")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes) -> bool:
    try:
        return root_from_inclusion(index, size, leaf, proof) == expected_root
    except ValueError:
        return False


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]) -> bool:
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first root is itself the proof's first node
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
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
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root
