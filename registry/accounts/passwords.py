"""Password hashing (argon2id) and the password rules people are told about."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 10
_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 "low memory" defaults
# Verified against when the account does not exist, so a wrong e-mail costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only for equal timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, *, email: str = "") -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_LENGTH:
        return str(_l("Use at least %(n)d characters.", n=MIN_LENGTH))
    if len(password) > 256:
        return str(_l("Use at most 256 characters."))
    if email and password.strip().lower() == email.strip().lower():
        return str(_l("Do not use your e-mail address as the password."))
    if len(set(password)) < 4:
        return str(_l("Use more varied characters."))
    return None
