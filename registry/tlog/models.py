"""The transparency log's tables. Entries, stored subtree hashes and checkpoints are append-only (migration 0015_tlog);
``tlog_state`` is the one row every append locks and moves on, so the log stays one sequence."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.database import Base, UTCDateTime, intpk

# A stored subtree hash's id: its level (0 for a leaf hash) in the top bits, its index at that level below.
NODE_LEVEL_SHIFT = 48


def node_id(level: int, index: int) -> int:
    return (level << NODE_LEVEL_SHIFT) | index


class TlogEntry(Base):
    __tablename__ = "tlog_entries"
    __table_args__ = (CheckConstraint("id >= 0", name="index_not_negative"),)

    # The entry's index in the log, from 0.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    label_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id"), index=True)
    # The canonical CBOR bytes hashed into the tree (registry.tlog.services.encode_entry).
    entry: Mapped[bytes] = mapped_column(LargeBinary)


class TlogNode(Base):
    """The hash of each complete subtree of 2**level leaves aligned at a multiple of its size, stored as it
    completes: every hash a proof needs is one of these or a few combined (registry.tlog.merkle)."""

    __tablename__ = "tlog_nodes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class TlogState(Base):
    """One row (id 1): the log's size. Every append locks it, so appends are one sequence."""

    __tablename__ = "tlog_state"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"), CheckConstraint("size >= 0", name="size_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)


class TlogCheckpoint(Base):
    __tablename__ = "tlog_checkpoints"

    id: Mapped[intpk]
    tree_size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The C2SP signed note, exactly as served.
    note: Mapped[str] = mapped_column(Text())


class TlogKey(Base):
    """The log's Ed25519 checkpoint key, separate from the label-signing keys; the private key sealed under the
    key-encryption key like theirs (registry.keys.crypto)."""

    __tablename__ = "tlog_keys"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(200), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    sealed_private_key: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
