"""The C2SP signed-note format and the tlog-checkpoint body, with Ed25519 keys (``cryptography``).

A checkpoint's body is three lines: the log's origin, the tree size in decimal, the root hash in standard base64,
each ending in a newline. A note is the body, an empty line, then one signature line per signer:
``— <key name> <base64(4-byte key hash ‖ 64-byte Ed25519 signature)>`` (an em dash, U+2014). The signature is over
the body's bytes. The key hash is ``SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]`` (0x01: the Ed25519 algorithm
byte), and a verifier key is written ``<name>+<hex key hash>+<base64(0x01 ‖ public key)>``.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALG_ED25519 = 0x01
DASH = "\u2014"


class NoteError(ValueError):
    """The note or checkpoint is malformed, or no signature by the expected key verifies."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root_hash).decode('ascii')}\n"


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_hash(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:4]


def verifier_key(name: str, public_key: bytes) -> str:
    encoded = base64.b64encode(bytes([ALG_ED25519]) + public_key).decode("ascii")
    return f"{name}+{key_hash(name, public_key).hex()}+{encoded}"


def parse_verifier_key(vkey: str) -> tuple[str, bytes]:
    try:
        name, hash_hex, encoded = vkey.split("+", 2)
        raw = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise NoteError("malformed verifier key") from None
    if len(raw) != 33 or raw[0] != ALG_ED25519 or key_hash(name, raw[1:]).hex() != hash_hex:
        raise NoteError("verifier key is not an Ed25519 key with a matching key hash")
    return name, raw[1:]


def sign(body: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note: ``body`` (which must end in a newline), an empty line, one signature line."""
    if not body.endswith("\n") or "\n\n" in body:
        raise NoteError("a note body ends with one newline and has no empty line")
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError("a key name has no spaces and no plus sign")
    public = raw_public(private_key.public_key())
    signature = private_key.sign(body.encode("utf-8"))
    blob = base64.b64encode(key_hash(name, public) + signature).decode("ascii")
    return f"{body}\n{DASH} {name} {blob}\n"


def split(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """The body and its signature lines as (key name, key hash, signature bytes)."""
    head, sep, tail = note.rpartition("\n\n")
    if not sep or not note.endswith("\n"):
        raise NoteError("a note is its body, an empty line and signature lines")
    body = head + "\n"
    signatures = []
    for line in tail[:-1].split("\n"):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH:
            raise NoteError("malformed signature line")
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except ValueError:
            raise NoteError("signature is not base64") from None
        if len(blob) < 5:
            raise NoteError("signature too short")
        signatures.append((parts[1], blob[:4], blob[4:]))
    if not signatures:
        raise NoteError("a note has at least one signature")
    return body, signatures


def open_note(note: str, name: str, public_key: bytes) -> str:
    """The body of ``note`` if it carries a valid signature by the Ed25519 key (``name``, ``public_key``)."""
    body, signatures = split(note)
    expected = key_hash(name, public_key)
    verifier = Ed25519PublicKey.from_public_bytes(public_key)
    for signer, khash, signature in signatures:
        if signer == name and khash == expected:
            try:
                verifier.verify(signature, body.encode("utf-8"))
            except InvalidSignature:
                raise NoteError("the log's signature does not verify") from None
            return body
    raise NoteError("the note has no signature by the log's key")


def parse_checkpoint(body: str) -> Checkpoint:
    lines = body.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("a checkpoint body has an origin, a size and a root hash line")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not origin or not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise NoteError("bad checkpoint origin or size")
    try:
        root_hash = base64.b64decode(root_text, validate=True)
    except ValueError:
        raise NoteError("root hash is not base64") from None
    if len(root_hash) != 32:
        raise NoteError("root hash is not 32 bytes")
    return Checkpoint(origin, int(size_text), root_hash)
