"""Signing keys: each certification body's ES256 label-signing keys and the registry's root key, which signs
the trust list and the status lists. Private keys are stored only sealed under the key-encryption key."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.database import Base, StrEnumType, UTCDateTime, enum_check, intpk
from registry.organisations.models import Organisation


class KeyRole(enum.StrEnum):
    ROOT = "root"
    BODY = "body"


class KeyStatus(enum.StrEnum):
    ACTIVE = "active"  # signs new labels (or, for the root, documents)
    RETIRED = "retired"  # verify-only: its signing window is closed
    REVOKED = "revoked"  # no longer trusted: every token it signed fails with key_revoked


class SigningKey(Base):
    __tablename__ = "signing_keys"
    __table_args__ = (
        CheckConstraint(enum_check("role", KeyRole), name="role_known"),
        CheckConstraint(enum_check("status", KeyStatus), name="status_known"),
        CheckConstraint("(role = 'root') = (body_id IS NULL)", name="body_keys_have_a_body"),
        CheckConstraint("sign_until > sign_from AND verify_until >= sign_until", name="windows_ordered"),
        CheckConstraint("(status = 'revoked') = (revoked_at IS NOT NULL)", name="revoked_has_time"),
        CheckConstraint("length(sealed_private_key) > 32", name="private_key_sealed"),
        # One active signing key per body, and one active root key.
        Index(
            "uq_signing_keys_active_body",
            "body_id",
            unique=True,
            sqlite_where=text("status = 'active' AND role = 'body'"),
            postgresql_where=text("status = 'active' AND role = 'body'"),
        ),
        Index(
            "uq_signing_keys_active_root",
            "role",
            unique=True,
            sqlite_where=text("status = 'active' AND role = 'root'"),
            postgresql_where=text("status = 'active' AND role = 'root'"),
        ),
    )

    id: Mapped[intpk]
    # base64url (no padding) of the 8-byte COSE kid: the first 8 bytes of the RFC 7638 thumbprint.
    kid: Mapped[str] = mapped_column(String(16), unique=True)
    role: Mapped[KeyRole] = mapped_column(StrEnumType(KeyRole))
    body_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    public_jwk: Mapped[dict[str, Any]]
    # AES-256-GCM: 12-byte nonce || ciphertext of the PKCS#8 DER private key, with the kid as associated data.
    # Deferred: label queries join their signing key, and never need this column.
    sealed_private_key: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    status: Mapped[KeyStatus] = mapped_column(StrEnumType(KeyStatus), default=KeyStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sign_from: Mapped[datetime] = mapped_column(UTCDateTime())
    sign_until: Mapped[datetime] = mapped_column(UTCDateTime())
    verify_until: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revocation_reason: Mapped[str | None] = mapped_column(String(500))

    body: Mapped[Organisation | None] = relationship(lazy="joined")

    def __repr__(self) -> str:  # never the sealed bytes
        return f"<SigningKey {self.kid} {self.role} {self.status}>"
