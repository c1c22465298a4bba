"""Documents uploaded to an application's file: the study report, the inventory workbook and evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.database import Base, StrEnumType, created_at, enum_check, intpk
from registry.enums import LabelledEnum, labels_for

if TYPE_CHECKING:
    from registry.applications.models.application import Application


class DocumentKind(LabelledEnum):
    STUDY_REPORT = "study_report"
    INVENTORY = "inventory"
    EVIDENCE = "evidence"


DOCUMENT_KIND_LABELS = labels_for(
    DocumentKind,
    {
        DocumentKind.STUDY_REPORT: _l("Footprint study report"),
        DocumentKind.INVENTORY: _l("Inventory workbook"),
        DocumentKind.EVIDENCE: _l("Evidence"),
    },
)


class Document(Base):
    """An uploaded file. The bytes live outside ``static/`` under ``storage_name``; never under the name given."""

    __tablename__ = "application_documents"
    __table_args__ = (
        CheckConstraint(enum_check("kind", DocumentKind), name="kind_known"),
        CheckConstraint("size_bytes > 0", name="not_empty"),
        CheckConstraint("length(sha256) = 64", name="hash_length"),
    )

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(StrEnumType(DocumentKind, length=20))
    original_name: Mapped[str] = mapped_column(String(200))
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(120))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[created_at]
    # Evidence given with the answer to a finding (a supplier's EPD, a meter reading); none for the file's own.
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id"), index=True)

    application: Mapped[Application] = relationship(back_populates="documents")
