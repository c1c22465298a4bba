"""Each label's printable artwork, rendered once per size, format and artwork version and then kept on disk.

A PDF costs about 0.2 s of CPU and a PNG 0.3 s; every public download rendered it afresh. Now the first request
renders it into ``ARTWORK_DIR`` (default ``instance/artwork``, next to the uploads) and later ones read the file.

The file's name holds the label's id, the size and format, and a digest of everything the artwork depends on that
is not fixed by the label's id: the artwork's code and template (``version()``), the URL in the QR code (it carries
the signed token, which changes with any certified fact, and the configured ``PUBLIC_HOST``) and the names it
prints. The label's status is not printed, so suspending or withdrawing it does not change its artwork. A change
to any of these is a new name, rendered anew; files of old versions are never read again and may be deleted.

Files are written to a temporary name and renamed into place (a reader never sees half a file, and two workers
rendering the same artwork at once each put a whole, identical file there), readable by the registry's user only.
Worker processes of one server share the folder; with several servers each keeps its own copy (the renderings
are byte-identical, so their ETags agree) unless ``ARTWORK_DIR`` is on storage they share.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from registry import PROJECT_ROOT, svg
from registry.labels import artwork
from registry.private_files import write_private_file

if TYPE_CHECKING:
    from registry.labels.models import Label

log = logging.getLogger(__name__)

# Looked up when called, so the renderers stay replaceable (the tests count their calls): hence the lambdas.
RENDERERS: dict[str, Callable[[Label, str, str], bytes]] = {
    "svg": lambda label, url, size: artwork.render_svg(label, url, size),  # noqa: PLW0108
    "pdf": lambda label, url, size: artwork.render_pdf(label, url, size),  # noqa: PLW0108
    "png": lambda label, url, size: artwork.render_png(label, url, size),  # noqa: PLW0108
}


@lru_cache(maxsize=1)
def version() -> str:
    """The artwork's version: ``artwork.VERSION`` and a digest of the layout code, the text fitting it draws with
    (``registry/svg.py``) and the template, so a change to any of them renders every label anew even if nobody
    bumped ``VERSION``."""
    digest = hashlib.sha256(artwork.VERSION.encode())
    for source in (Path(artwork.__file__), Path(svg.__file__), PROJECT_ROOT / "templates" / "labels" / "artwork.svg"):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def fingerprint(label: Label, url: str, size: str, ext: str) -> str:
    """What names one rendering (and is its ETag): the same for the same bytes."""
    printed = (
        label.product.name_zh,
        label.product.name_en or "",
        label.product.model,
        label.body.name_zh,
        label.body.name_en or "",
    )
    parts = (version(), size, ext, url, *printed)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def path_of(folder: Path, label: Label, url: str, size: str, ext: str) -> Path:
    return folder / f"label-{label.id}-{size}-{fingerprint(label, url, size, ext)}.{ext}"


def kept_artwork(folder: Path, label: Label, url: str, size: str, ext: str) -> bytes:
    """The artwork's bytes: the kept file, or a new rendering that is kept for next time."""
    path = path_of(folder, label, url, size, ext)
    try:
        return path.read_bytes()
    except OSError:  # not kept yet (or the folder is unusable: rendered and served all the same)
        pass
    data = RENDERERS[ext](label, url, size)
    try:
        write_private_file(path, data)
    except OSError as error:
        # The reader still gets the artwork; the next request renders it again.
        log.warning("could not keep the artwork %s: %s", path.name, error.strerror or error)
    return data


def forget(folder: Path, label_id: int) -> int:
    """Delete every kept rendering of a label (after its token changed, registry.labels.reissue: the old names are
    never read again); the next request renders the new artwork. Returns how many files went."""
    removed = 0
    for path in folder.glob(f"label-{label_id}-*"):
        try:
            path.unlink()
            removed += 1
        except OSError as error:
            log.warning("could not delete the old artwork %s: %s", path.name, error.strerror or error)
    return removed
