"""The transparency log (BRIEF §7): an RFC 9162 Merkle log of every issuance, status change, key change and
dishonest-list change, with signed checkpoints and public proofs."""
