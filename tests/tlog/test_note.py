"""The C2SP signed note and checkpoint, checked independently: the test parses the note itself and verifies the
signature with cryptography's Ed25519 over the body's bytes."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.tlog import note


def test_a_checkpoint_note_is_three_lines_an_empty_line_and_an_em_dash_signature():
    private = Ed25519PrivateKey.generate()
    public = note.raw_public(private.public_key())
    body = note.Checkpoint("registry.test/tlog", 8, bytes(range(32))).body()
    signed = note.sign(body, "registry.test/tlog", private)

    text_body, _, signatures = signed.partition("\n\n")
    assert text_body.split("\n") == ["registry.test/tlog", "8", base64.b64encode(bytes(range(32))).decode()]
    dash, name, blob = signatures.rstrip("\n").split(" ")
    assert dash == "\u2014" and name == "registry.test/tlog"
    raw = base64.b64decode(blob)
    assert raw[:4] == hashlib.sha256(b"registry.test/tlog\n\x01" + public).digest()[:4]
    private.public_key().verify(raw[4:], (text_body + "\n").encode())  # raises if it does not verify

    assert note.open_note(signed, "registry.test/tlog", public) == body
    assert note.parse_checkpoint(body) == note.Checkpoint("registry.test/tlog", 8, bytes(range(32)))
    name, key = note.parse_verifier_key(note.verifier_key("registry.test/tlog", public))
    assert (name, key) == ("registry.test/tlog", public)


def test_a_note_over_another_tree_or_by_another_key_does_not_open():
    private = Ed25519PrivateKey.generate()
    public = note.raw_public(private.public_key())
    signed = note.sign(note.Checkpoint("o", 8, bytes(32)).body(), "o", private)
    forged = signed.replace("\n8\n", "\n9\n", 1)
    with pytest.raises(note.NoteError):
        note.open_note(forged, "o", public)
    other = Ed25519PrivateKey.generate()
    resigned = note.sign(note.Checkpoint("o", 9, bytes(32)).body(), "o", other)
    with pytest.raises(note.NoteError):
        note.open_note(resigned, "o", public)
    for bad in ("", "o\n8\n", "o\n8\nAAAA\n\n\u2014 o !!!\n"):
        with pytest.raises(note.NoteError):
            note.open_note(bad, "o", public)
