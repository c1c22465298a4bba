"""An enterprise's products: what a label is eventually issued for."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.database import Base, created_at, intpk
from registry.organisations.models import Organisation


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        # A GTIN identifies one trade item, whoever registers it; stored normalised as GTIN-14.
        CheckConstraint("gtin IS NULL OR length(gtin) = 14", name="gtin_is_14_digits"),
        UniqueConstraint("gtin"),
        UniqueConstraint("organisation_id", "name_zh", "model"),
    )

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    category_code: Mapped[str] = mapped_column(String(64), index=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(120))
    trademark: Mapped[str | None] = mapped_column(String(120))
    factory: Mapped[str | None] = mapped_column(String(300))
    gtin: Mapped[str | None] = mapped_column(String(14))
    created_at: Mapped[created_at]

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    def display_name(self, locale: str) -> str:
        if locale.startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh
