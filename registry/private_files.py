"""Files at rest are the registry's own user's only: files 0600, folders 0700.

The SQLite database and its WAL files, the uploaded documents and the instance secrets are confidential; with the
usual umask they would be created world-readable (0644 in 0755 folders). They are created private from the start,
and ``flask setup`` / ``flask db upgrade`` tighten what an older instance left wider.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIRECTORY = 0o700

log = logging.getLogger(__name__)


def make_private_directory(path: Path) -> Path:
    """Create ``path`` and whichever of its parents are missing as 0700 folders (pathlib's ``parents=True`` would
    give the parents the umask's mode); an existing ``path`` is tightened."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIRECTORY, exist_ok=True)
    restrict(path, PRIVATE_DIRECTORY)
    return path


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 if it does not exist yet (so that SQLite opens a file that was never
    readable by others, and makes its -wal and -shm files with the same mode); tighten it if it does."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        restrict(path, PRIVATE_FILE)
    except FileNotFoundError:
        pass  # no such folder: SQLite reports that itself when it opens the file


def restrict(path: Path, mode: int) -> None:
    """Take away any permission beyond ``mode`` from an existing file or folder (symbolic links are left alone)."""
    try:
        current = path.lstat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(current) or stat.S_IMODE(current) & ~mode == 0:
        return
    try:
        path.chmod(stat.S_IMODE(current) & mode)
    except PermissionError:
        # Someone else owns it (a deliberate setup we should not break); say what to fix instead of failing.
        log.warning("%s is readable by other users and the registry cannot change that: chmod %o it.", path, mode)


def restrict_tree(root: Path) -> None:
    """Every folder under ``root`` (itself included) 0700 and every file 0600."""
    if not root.is_dir():
        return
    restrict(root, PRIVATE_DIRECTORY)
    for folder, subfolders, files in os.walk(root):
        for name in subfolders:
            restrict(Path(folder, name), PRIVATE_DIRECTORY)
        for name in files:
            restrict(Path(folder, name), PRIVATE_FILE)


def write_private_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` as a 0600 file in a 0700 folder, atomically: written to a temporary name and
    renamed into place, so a reader (another worker process) never sees half a file."""
    make_private_directory(path.parent)
    # mkstemp creates the file 0600.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
