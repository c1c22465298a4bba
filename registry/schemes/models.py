"""Certification schemes (实施规则) as synced from ``schemes/``: one row per scheme, one per version.

A version's definition is frozen once synced (its content hash is kept); applications bind to a version.
Code reads it typed, through ``SchemeVersion.spec`` (``registry/schemes/definition.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.database import Base, UTCDateTime, intpk, utcnow
from registry.schemes.definition import SchemeDefinition


class Scheme(Base):
    __tablename__ = "schemes"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(64), unique=True)
    category_code: Mapped[str] = mapped_column(String(64), index=True)

    versions: Mapped[list[SchemeVersion]] = relationship(
        back_populates="scheme", order_by="SchemeVersion.id", lazy="selectin"
    )

    @property
    def latest(self) -> SchemeVersion:
        return max(self.versions, key=lambda v: v.version_key)


class SchemeVersion(Base):
    __tablename__ = "scheme_versions"
    __table_args__ = (
        UniqueConstraint("scheme_id", "version"),
        CheckConstraint("boundary IN ('cradle-to-gate', 'cradle-to-grave')", name="boundary_known"),
        CheckConstraint("validity_months > 0", name="validity_positive"),
        CheckConstraint("length(content_sha256) = 64", name="hash_length"),
    )

    id: Mapped[intpk]
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id"), index=True)
    version: Mapped[str] = mapped_column(String(32))
    title_zh: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    boundary: Mapped[str] = mapped_column(String(20))
    declared_unit: Mapped[str] = mapped_column(String(40))
    validity_months: Mapped[int]
    # The whole validated file, as loaded and hashed; the scheme pages and the workflow read it as ``spec``.
    definition: Mapped[dict[str, Any]]
    content_sha256: Mapped[str] = mapped_column(String(64))
    source_path: Mapped[str] = mapped_column(String(300))
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    scheme: Mapped[Scheme] = relationship(back_populates="versions", lazy="joined")

    @property
    def code(self) -> str:
        return self.scheme.code

    @property
    def spec(self) -> SchemeDefinition:
        """The definition as typed objects, built once for each document this row holds (a definition is never
        edited in place; one assigned anew, as some tests do, is read afresh)."""
        document = self.definition
        cached: tuple[dict[str, Any], SchemeDefinition] | None = self.__dict__.get("_spec")
        if cached is None or cached[0] is not document:
            cached = (document, SchemeDefinition.from_dict(document))
            self.__dict__["_spec"] = cached
        return cached[1]

    @property
    def version_key(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.version.split("."))

    def title(self, locale: str) -> str:
        return self.title_en if locale.startswith("en") else self.title_zh
