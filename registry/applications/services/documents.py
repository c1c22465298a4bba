"""Storing an application's uploaded documents safely.

The type is decided by the bytes (``filetype`` reads the magic numbers and, for office files, the zip
contents), never by the name or the browser's claimed type. The bytes go outside ``static/``, under the
upload folder, named by a random token; the name the user gave is kept only for display and for the
download's Content-Disposition. A file written for a transaction that rolls back is removed again.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import secrets
import unicodedata
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO

import filetype
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from registry.after_commit import on_rollback
from registry.applications.models import DocumentKind
from registry.errors import ServiceError
from registry.private_files import PRIVATE_FILE, make_private_directory

# Accepted content types per kind of document, and the extension stored files are served with.
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PNG = "image/png"
JPEG = "image/jpeg"
CSV = "text/csv"

EXTENSIONS = {PDF: "pdf", XLSX: "xlsx", ODS: "ods", DOCX: "docx", PNG: "png", JPEG: "jpg", CSV: "csv"}
ACCEPTED: dict[DocumentKind, tuple[str, ...]] = {
    DocumentKind.STUDY_REPORT: (PDF,),
    DocumentKind.INVENTORY: (XLSX, ODS, CSV),
    DocumentKind.EVIDENCE: (PDF, PNG, JPEG, XLSX, ODS, DOCX, CSV),
}
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class StoredFile:
    storage_name: str
    content_type: str
    size_bytes: int
    sha256: str
    original_name: str


def clean_name(name: str | None, content_type: str) -> str:
    """The user's file name for display: no folders, no control characters, at most 150 characters, and the
    extension of what the file really is."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = base.strip().strip(".") or "document"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem[:150]}.{EXTENSIONS[content_type]}"


def sniff(head: bytes) -> str | None:
    """The content type the bytes show, among those the registry accepts, or None."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime if kind.mime in EXTENSIONS else None
    return CSV if _looks_like_csv(head) else None


def _looks_like_csv(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        # Incremental: the head may end inside a multi-byte character, which is not an error.
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    lines = text.splitlines()
    first = lines[0] if lines else ""
    control = any(unicodedata.category(ch) == "Cc" and ch not in "\r\n\t" for ch in text)
    return ("," in first or "\t" in first or ";" in first) and not control


def human_size(size: int) -> str:
    return f"{size / 2**20:g} MB" if size >= 2**20 else f"{max(1, size // 1024)} KB"


def store(
    session: Session, stream: IO[bytes], *, name: str | None, kind: DocumentKind, folder: Path, max_bytes: int
) -> StoredFile:
    """Check and write one upload; raises ServiceError (field ``file``) with nothing left behind."""
    return store_file(
        session,
        stream,
        name=name,
        accepted=ACCEPTED[kind],
        what=str(kind.label).lower(),
        folder=folder,
        max_bytes=max_bytes,
        field="file",
    )


def store_file(
    session: Session,
    stream: IO[bytes],
    *,
    name: str | None,
    accepted: tuple[str, ...],
    what: str,
    folder: Path,
    max_bytes: int,
    field: str,
) -> StoredFile:
    """``store`` for any upload the registry keeps privately (a regulator's decision document, say): the content
    types ``accepted``, ``what`` the document is called in the refusal, the form ``field`` refusals name."""
    head = stream.read(SNIFF_BYTES)
    if not head:
        raise ServiceError(_l("The file is empty. Choose the file again."), field=field)
    content_type = sniff(head)
    allowed = accepted
    if content_type not in allowed:
        types = ", ".join(EXTENSIONS[t].upper() for t in allowed)
        raise ServiceError(
            _l(
                "The file's content is not an accepted type for a %(kind)s (whatever its name says). Accepted: %(types)s.",
                kind=what,
                types=types,
            ),
            field=field,
        )
    storage_name = secrets.token_hex(16)
    target = folder / storage_name[:2] / storage_name
    # Confidential: the folders 0700 and the file 0600 from the moment they exist, not left to the umask; an upload
    # folder an older instance made wider is tightened here too.
    make_private_directory(folder)
    make_private_directory(target.parent)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE), "wb") as out:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > max_bytes:
                    raise ServiceError(
                        _l(
                            "The file is larger than %(size)s. Make it smaller or split it.", size=human_size(max_bytes)
                        ),
                        field=field,
                        status=413,
                    )
                digest.update(chunk)
                out.write(chunk)
                chunk = stream.read(64 * 1024)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    # Removed again if the transaction, or the savepoint open now, rolls back; kept once the transaction commits.
    on_rollback(session, partial(target.unlink, missing_ok=True))
    return StoredFile(storage_name, content_type, size, digest.hexdigest(), clean_name(name, content_type))


def path_of(folder: Path, storage_name: str) -> Path:
    if len(storage_name) != 32 or not all(c in "0123456789abcdef" for c in storage_name):
        raise ValueError("not a storage name")
    return folder / storage_name[:2] / storage_name
