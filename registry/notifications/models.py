"""In-app notifications: one row per person told about an event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.database import Base, UTCDateTime, created_at, intpk


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The event's tag, e.g. "application:submit"; the text is rendered in the reader's language when shown.
    event: Mapped[str] = mapped_column(String(64))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[created_at]
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
