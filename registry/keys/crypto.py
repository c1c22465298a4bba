"""The key-encryption key (KEK) and sealing private keys under it.

The KEK is 32 random bytes, written base64url. It comes from the instance configuration
(``KEY_ENCRYPTION_KEY`` in ``instance/config.py``, the ``REGISTRY_KEY_ENCRYPTION_KEY`` environment variable, or the
``instance/key_encryption_key`` file that ``flask setup`` writes once), never from the database or the repository.
Private keys are sealed with AES-256-GCM under it, with the kid as associated data, so a sealed key copied onto
another key's row does not open.
"""

from __future__ import annotations

import os
import secrets
import threading
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from registry.verifier.format import FormatError, b64url, b64url_decode

KEK_BYTES = 32
KEK_ENV = "REGISTRY_KEY_ENCRYPTION_KEY"
_AAD_PREFIX = b"carbon-label-registry/signing-key/v1:"


class KeyEncryptionKeyError(RuntimeError):
    """The KEK is missing or unusable; the message says how to fix it and never contains key material."""


def new_kek() -> str:
    return b64url(secrets.token_bytes(KEK_BYTES))


def parse_kek(value: str | bytes) -> bytes:
    text = value.decode("ascii") if isinstance(value, bytes) else value
    try:
        kek = b64url_decode(text.strip())
    except (FormatError, UnicodeDecodeError):
        kek = b""
    if len(kek) != KEK_BYTES:
        raise KeyEncryptionKeyError(
            "The key-encryption key must be 32 random bytes written as base64url (43 characters); "
            "generate one with: python -c 'import secrets, base64; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b\"=\").decode())'."
        )
    return kek


_installed: bytes | None = None
_lock = threading.Lock()


def install_kek(value: str | bytes | None) -> None:
    """Make ``value`` the process's KEK (the app factory does this from its configuration; scripts and tests may)."""
    global _installed  # noqa: PLW0603 - one KEK per process, set under the lock
    with _lock:
        _installed = None if value is None else parse_kek(value)


def current_kek() -> bytes:
    if _installed is not None:
        return _installed
    if os.environ.get(KEK_ENV):
        return parse_kek(os.environ[KEK_ENV])
    raise KeyEncryptionKeyError(
        "No key-encryption key is configured: run `flask setup` (it writes instance/key_encryption_key), or set "
        "REGISTRY_KEY_ENCRYPTION_KEY, or KEY_ENCRYPTION_KEY in instance/config.py."
    )


def _aad(kid: str) -> bytes:
    return _AAD_PREFIX + kid.encode("ascii")


def seal(private_key: ec.EllipticCurvePrivateKey, kid: str, kek: bytes) -> bytes:
    der = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(kek).encrypt(nonce, der, _aad(kid))


def unseal(sealed: bytes, kid: str, kek: bytes) -> ec.EllipticCurvePrivateKey:
    return _unseal_cached(bytes(sealed), kid, kek)


@lru_cache(maxsize=256)
def _unseal_cached(sealed: bytes, kid: str, kek: bytes) -> ec.EllipticCurvePrivateKey:
    # Cached by (sealed bytes, kid, KEK): signing 10,000 labels must not decrypt and parse the key 10,000 times.
    try:
        der = AESGCM(kek).decrypt(sealed[:12], sealed[12:], _aad(kid))
    except InvalidTag:
        raise KeyEncryptionKeyError(
            f"The private key {kid} does not open with the configured key-encryption key: the KEK is not the one "
            "the key was sealed with. Restore the instance's original KEK."
        ) from None
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyEncryptionKeyError(f"The sealed key {kid} is not an EC key.")
    return key


_RAW_AAD_PREFIX = b"carbon-label-registry/raw-key/v1:"


def seal_raw(secret: bytes, name: str, kek: bytes) -> bytes:
    """Seal raw key bytes (the transparency log's Ed25519 key) under the KEK, with ``name`` as associated data."""
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(kek).encrypt(nonce, secret, _RAW_AAD_PREFIX + name.encode("utf-8"))


def unseal_raw(sealed: bytes, name: str, kek: bytes) -> bytes:
    try:
        return AESGCM(kek).decrypt(bytes(sealed[:12]), bytes(sealed[12:]), _RAW_AAD_PREFIX + name.encode("utf-8"))
    except InvalidTag:
        raise KeyEncryptionKeyError(
            f"The private key {name} does not open with the configured key-encryption key: the KEK is not the one "
            "the key was sealed with. Restore the instance's original KEK."
        ) from None
