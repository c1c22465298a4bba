"""The draw itself, as the public page describes it: nothing but ``hashlib``, so anyone can run the same steps on
the published JSON (``/spot-checks/{id}.json``) and get the same labels and inspectors.

1. The candidates are the certificate numbers of the labels that matched the filter when the draw was made.
2. Each candidate's key is SHA-256(seed ‖ certificate number as UTF-8), the seed being the draw's 32 bytes.
3. The ``count`` candidates with the smallest keys are drawn (all of them when there are fewer), in key order:
   the smallest is number 1. Two keys cannot be equal (SHA-256 of different numbers).
4. The inspectors of the pool are numbered 1 … k; their order for this draw is by SHA-256(seed ‖ "inspector:"
   ‖ number as decimal digits, UTF-8), smallest first. Drawn label number 1 goes to the first inspector in that
   order, number 2 to the second, and so on, starting again at the first after the k-th (round-robin, so the
   work is shared evenly).
5. The candidates' fingerprint is SHA-256 of the sorted certificate numbers joined by a line feed (UTF-8).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

SEED_BYTES = 32
ALGORITHM = "sha256-smallest-keys/round-robin-v1"


@dataclass(frozen=True)
class Drawn:
    position: int
    certificate_number: str
    key: str  # hex
    inspector_number: int


def key(seed: bytes, certificate_number: str) -> bytes:
    return hashlib.sha256(seed + certificate_number.encode("utf-8")).digest()


def inspector_order(seed: bytes, pool_size: int) -> list[int]:
    return sorted(range(1, pool_size + 1), key=lambda n: hashlib.sha256(seed + f"inspector:{n}".encode()).digest())


def candidates_sha256(candidates: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(candidates)).encode("utf-8")).hexdigest()


def draw(seed: bytes, candidates: Iterable[str], count: int, pool_size: int) -> list[Drawn]:
    """The labels drawn and their inspectors' pool numbers, in draw order."""
    if len(seed) != SEED_BYTES:
        raise ValueError("the seed is 32 bytes")
    if count < 1 or pool_size < 1:
        raise ValueError("a draw takes at least one label and one inspector")
    keyed = sorted((key(seed, number), number) for number in set(candidates))
    order = inspector_order(seed, pool_size)
    return [
        Drawn(position, number, digest.hex(), order[(position - 1) % pool_size])
        for position, (digest, number) in enumerate(keyed[:count], start=1)
    ]


def check_document(document: dict[str, Any]) -> list[str]:
    """What does not match when a draw is repeated from its published JSON (empty: it all matches)."""
    problems = []
    seed = bytes.fromhex(document["seed"])
    candidates = [str(number) for number in document["candidates"]]
    if candidates_sha256(candidates) != document["candidates_sha256"]:
        problems.append("the candidates' SHA-256 does not match the list")
    if len(candidates) != document["candidate_count"]:
        problems.append("the candidate count does not match the list")
    again = draw(seed, candidates, int(document["requested"]), int(document["pool_size"]))
    published = [(item["certificate_number"], item["inspector"]) for item in document["drawn"]]
    if [(one.certificate_number, one.inspector_number) for one in again] != published:
        problems.append("the drawn labels or their inspectors differ from a repeat of the draw")
    return problems
