"""RFC 9162 hashing and proofs against the Certificate Transparency test vectors (the standard eight leaves, as in
transparency-dev/merkle's testonly data), and against a naive recomputation for random sizes (hypothesis)."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings, strategies as st

from registry.tlog import merkle

LEAVES = [
    bytes.fromhex(h)
    for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 3): [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    ],
}
CONSISTENCY = {
    (1, 1): [],
    (2, 8): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}


def store(entries: list[bytes]) -> merkle.Get:
    """What the registry stores: every complete aligned subtree's hash, built as leaves are appended."""
    nodes: dict[tuple[int, int], bytes] = {}
    for index, entry in enumerate(entries):
        nodes[(0, index)] = merkle.leaf_hash(entry)
        for level, i in merkle.completed_by(index):
            nodes[(level, i)] = merkle.node_hash(nodes[(level - 1, 2 * i)], nodes[(level - 1, 2 * i + 1)])
    return lambda level, index: nodes[(level, index)]


# --- the naive recomputation: RFC 9162's definitions over the list of leaves, nothing stored ---------------


def naive_path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = merkle.split(n)
    if m < k:
        return [*naive_path(m, leaves[:k]), merkle.root_of_leaves(leaves[k:])]
    return [*naive_path(m - k, leaves[k:]), merkle.root_of_leaves(leaves[:k])]


def naive_subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [merkle.root_of_leaves(leaves)]
    k = merkle.split(n)
    if m <= k:
        return [*naive_subproof(m, leaves[:k], whole), merkle.root_of_leaves(leaves[k:])]
    return [*naive_subproof(m - k, leaves[k:], False), merkle.root_of_leaves(leaves[:k])]


def test_the_empty_tree_and_the_prefixes():
    assert merkle.root([]) == hashlib.sha256(b"").digest()
    assert merkle.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert merkle.node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()


def test_roots_for_every_size_of_the_standard_eight_leaves():
    get = store(LEAVES)
    for size in range(1, 9):
        assert merkle.root(LEAVES[:size]).hex() == ROOTS[size - 1]
        assert merkle.tree_root(get, size).hex() == ROOTS[size - 1]


def test_inclusion_proofs_of_the_test_vectors():
    get = store(LEAVES)
    for (index, size), expected in INCLUSION.items():
        proof = merkle.inclusion_proof(get, index, size)
        assert [h.hex() for h in proof] == expected
        root = bytes.fromhex(ROOTS[size - 1])
        assert merkle.verify_inclusion(index, size, merkle.leaf_hash(LEAVES[index]), proof, root)
        assert not merkle.verify_inclusion(index, size, merkle.leaf_hash(b"other"), proof, root)
        assert not merkle.verify_inclusion(index ^ 1, size, merkle.leaf_hash(LEAVES[index]), proof, root)


def test_consistency_proofs_of_the_test_vectors():
    get = store(LEAVES)
    for (first, second), expected in CONSISTENCY.items():
        proof = merkle.consistency_proof(get, first, second)
        assert [h.hex() for h in proof] == expected
        a, b = bytes.fromhex(ROOTS[first - 1]), bytes.fromhex(ROOTS[second - 1])
        assert merkle.verify_consistency(first, second, a, b, proof)
        if first != second:
            assert not merkle.verify_consistency(first, second, b, a, proof)
            assert not merkle.verify_consistency(first, second, a, b, proof[:-1])


@settings(max_examples=150, deadline=None)
@given(size=st.integers(min_value=1, max_value=300), data=st.data())
def test_proofs_for_random_sizes_match_the_naive_recomputation(size, data):
    entries = [i.to_bytes(4, "big") for i in range(size)]
    leaves = [merkle.leaf_hash(e) for e in entries]
    get = store(entries)
    root = merkle.root_of_leaves(leaves)
    assert merkle.tree_root(get, size) == root

    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = merkle.inclusion_proof(get, index, size)
    assert proof == naive_path(index, leaves)
    assert merkle.verify_inclusion(index, size, leaves[index], proof, root)
    assert merkle.root_from_inclusion(index, size, leaves[index], proof) == root
    if proof:
        bent = [*proof[:-1], bytes(32)]
        assert not merkle.verify_inclusion(index, size, leaves[index], bent, root)
    assert len(merkle.needed_inclusion(index, size)) <= 2 * size.bit_length()

    first = data.draw(st.integers(min_value=1, max_value=size))
    proof = merkle.consistency_proof(get, first, size)
    assert proof == (naive_subproof(first, leaves, True) if first < size else [])
    first_root = merkle.root_of_leaves(leaves[:first])
    assert merkle.verify_consistency(first, size, first_root, root, proof)
    if first < size:
        assert not merkle.verify_consistency(first, size, merkle.leaf_hash(b"forged"), root, proof)
        assert not merkle.verify_consistency(first, size, first_root, merkle.leaf_hash(b"forged"), proof)
