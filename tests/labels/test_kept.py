"""The printable artwork is rendered once per label, size and format, kept on disk, and served from there."""

from __future__ import annotations

import logging
import re
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.labels import artwork, kept
from registry.labels.models import Label, LabelStatus

FORMATS = [("standard", "pdf"), ("small", "png"), ("standard", "svg")]


@pytest.fixture
def label(session: Session) -> Label:
    label = session.scalars(select(Label).order_by(Label.id)).first()
    assert label is not None
    return label


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every call of the real renderers, by format and size (the PDF and PNG are converted from the SVG, so
    rendering one of them calls two)."""
    calls: list[tuple[str, str]] = []
    for ext in ("svg", "pdf", "png"):
        real: Callable[[Label, str, str], bytes] = getattr(artwork, f"render_{ext}")

        def spy(label: Label, url: str, size: str, *, _real=real, _ext=ext) -> bytes:  # type: ignore[no-untyped-def]
            calls.append((_ext, size))
            return _real(label, url, size)

        monkeypatch.setattr(artwork, f"render_{ext}", spy)
    return calls


def kept_files(app: Flask) -> list[Path]:
    folder = Path(app.config["ARTWORK_DIR"])
    return sorted(folder.iterdir()) if folder.is_dir() else []


@pytest.mark.parametrize(("size", "ext"), FORMATS)
def test_the_second_download_is_the_kept_file_and_nothing_is_rendered_again(
    app: Flask, client: FlaskClient, label: Label, renders: list[tuple[str, str]], size: str, ext: str
) -> None:
    address = f"/l/{label.public_id}/label-{size}.{ext}"
    first = client.get(address)
    assert first.status_code == 200 and renders[0] == (ext, size)
    rendered = list(renders)
    second = client.get(address)
    assert second.status_code == 200
    assert renders == rendered  # not rendered again
    assert second.data == first.data and second.headers["ETag"] == first.headers["ETag"]
    assert "immutable" in second.headers["Cache-Control"] and "public" in second.headers["Cache-Control"]
    (kept_file,) = kept_files(app)
    assert kept_file.read_bytes() == first.data
    assert f"label-{label.id}-{size}-" in kept_file.name and kept_file.suffix == f".{ext}"


def test_kept_artwork_is_readable_by_the_registry_only(app: Flask, client: FlaskClient, label: Label) -> None:
    assert client.get(f"/l/{label.public_id}/label-standard.pdf").status_code == 200
    (kept_file,) = kept_files(app)
    assert stat.S_IMODE(kept_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept_file.parent.stat().st_mode) == 0o700


def test_each_size_and_format_is_kept_apart(
    app: Flask, client: FlaskClient, label: Label, renders: list[tuple[str, str]]
) -> None:
    bodies = {
        (size, ext): client.get(f"/l/{label.public_id}/label-{size}.{ext}").data
        for size in artwork.SIZES
        for ext in ("svg", "pdf", "png")
    }
    assert len(kept_files(app)) == 6 == len(set(bodies.values()))
    rendered = list(renders)
    again = {
        (size, ext): client.get(f"/l/{label.public_id}/label-{size}.{ext}").data
        for size in artwork.SIZES
        for ext in ("svg", "pdf", "png")
    }
    assert again == bodies and renders == rendered


def test_a_new_artwork_version_renders_anew(
    app: Flask, client: FlaskClient, label: Label, renders: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    address = f"/l/{label.public_id}/label-small.svg"
    before = client.get(address)
    monkeypatch.setattr(kept, "version", lambda: "a-changed-template")
    after = client.get(address)
    assert renders == [("svg", "small"), ("svg", "small")]
    assert after.headers["ETag"] != before.headers["ETag"]
    assert len(kept_files(app)) == 2


def test_the_code_and_template_are_part_of_the_version() -> None:
    kept.version.cache_clear()
    try:
        assert re.fullmatch(r"[0-9a-f]{16}", kept.version())
        assert kept.version() == kept.version()
    finally:
        kept.version.cache_clear()


def test_a_conditional_request_is_answered_without_rendering_or_reading(
    app: Flask, client: FlaskClient, label: Label, renders: list[tuple[str, str]]
) -> None:
    address = f"/l/{label.public_id}/label-standard.png"
    etag = client.get(address).headers["ETag"]
    rendered = list(renders)
    for path in kept_files(app):
        path.unlink()
    again = client.get(address, headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    assert renders == rendered and kept_files(app) == []


def test_suspending_a_label_does_not_change_its_artwork(
    app: Flask, client: FlaskClient, session: Session, label: Label, renders: list[tuple[str, str]]
) -> None:
    """The artwork prints no status (the QR code leads to the live one), so the kept file stays right."""
    address = f"/l/{label.public_id}/label-standard.svg"
    before = client.get(address)
    label.status = LabelStatus.SUSPENDED
    session.flush()
    after = client.get(address)
    assert after.data == before.data and after.headers["ETag"] == before.headers["ETag"] and len(renders) == 1


def test_a_renamed_issuing_body_gets_new_artwork(
    app: Flask, client: FlaskClient, session: Session, label: Label, renders: list[tuple[str, str]]
) -> None:
    address = f"/l/{label.public_id}/label-standard.svg"
    before = client.get(address)
    label.body.name_zh = "更名后的认证中心"
    session.flush()
    after = client.get(address)
    assert len(renders) == 2 and after.headers["ETag"] != before.headers["ETag"]
    assert "更名后的认证中心" in after.get_data(as_text=True)


def test_artwork_that_cannot_be_kept_is_still_served(
    app: Flask, client: FlaskClient, label: Label, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    app.config["ARTWORK_DIR"] = str(blocker / "artwork")
    with caplog.at_level(logging.WARNING, logger="registry.labels.kept"):
        response = client.get(f"/l/{label.public_id}/label-standard.svg")
    assert response.status_code == 200 and response.data.startswith(b"<?xml")
    assert any("could not keep the artwork" in record.getMessage() for record in caplog.records)
    assert str(tmp_path) not in " ".join(record.getMessage() for record in caplog.records)


def test_the_pdf_is_dated_with_the_labels_issuance_so_every_rendering_is_the_same(label: Label) -> None:
    url = label.qr_url("registry.example.cn")
    pdf = artwork.render_pdf(label, url, "standard")
    dates = re.findall(rb"/CreationDate \((?:D:)?(\d{14})", pdf)
    assert dates == [label.issued_at.strftime("%Y%m%d%H%M%S").encode()]
    assert artwork.render_pdf(label, url, "standard") == pdf
