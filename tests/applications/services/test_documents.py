"""Uploading an application's documents at the service level: what the bytes are decides the type, names are
only for display, nothing escapes the upload folder, and a rolled-back upload leaves no file behind."""

from __future__ import annotations

import hashlib
import io
import random
import re
import stat
import unicodedata
import zipfile
from pathlib import Path

import filetype
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from registry.applications.models import Application, ApplicationStatus, Document
from registry.applications.services import applicant as services, documents
from registry.demo.applications import STUDY_REPORT, Team, complete_draft
from registry.errors import ServiceError
from registry.organisations.models import Organisation
from registry.products.models import Product

MB = 2**20
STORAGE_NAME = re.compile(r"[0-9a-f]{32}")


# Sample contents.


def pdf(size: int = 0, seed: int = 0) -> bytes:
    """A PDF (by its magic number) of at least ``size`` bytes, padded with random bytes in a comment."""
    body = STUDY_REPORT
    if size > len(body):
        body = body + b"%" + random.Random(seed).randbytes(size - len(body) - 1)
    return body


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 44
    + b"\x80\x00\x00\x00"
    + b"\x00" * 64
    + b"PE\x00\x00"
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
HTML = b"<!DOCTYPE html>\n<html><head><title>Report</title></head><body><script>alert(1)</script></body></html>\n"
CSV_INVENTORY = (
    b"stage,description,quantity,unit\nraw_materials,cathode material,12.5,kg\nproduction,electricity,3.2,kWh\n"
)


def zip_of(entries: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in entries:
            archive.writestr(name, content)
    return buffer.getvalue()


CONTENT_TYPES_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
)
WORKBOOK_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>'
)


def minimal_xlsx() -> bytes:
    """What ``filetype`` needs to call a zip an XLSX: a first entry ``[Content_Types].xml`` (or ``_rels/.rels``
    or ``docProps…``) and, among the next four local headers, one whose name starts with ``xl/``."""
    return zip_of([("[Content_Types].xml", CONTENT_TYPES_XML), ("xl/workbook.xml", WORKBOOK_XML)])


def minimal_docx() -> bytes:
    return zip_of([("[Content_Types].xml", CONTENT_TYPES_XML), ("word/document.xml", b"<w:document/>")])


def minimal_ods() -> bytes:
    """An OpenDocument spreadsheet is recognised by a first, stored entry ``mimetype`` holding its type."""
    return zip_of(
        [("mimetype", documents.ODS.encode()), ("content.xml", b"<office:document-content/>")],
        compression=zipfile.ZIP_STORED,
    )


def plain_zip() -> bytes:
    return zip_of([("readme.txt", b"hello"), ("data/values.txt", b"1,2,3")])


# Fixtures and helpers.


@pytest.fixture
def team(session: Session) -> Team:
    return Team.demo(session)


@pytest.fixture
def draft(session: Session, team: Team, tmp_path: Path) -> Application:
    body = session.scalar(select(Organisation).where(Organisation.body_code == "HTDEMO"))
    assert team.applicant.user is not None
    product = session.scalar(
        select(Product).where(
            Product.organisation_id == team.applicant.user.organisation_id, Product.model == "LN-PT-18V4Ah"
        )
    )
    assert body is not None and product is not None
    # The draft's own documents go elsewhere, so that the folder under test starts empty.
    return complete_draft(session, team, product, body, folder=tmp_path / "draft")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "uploads"
    path.mkdir()
    return path


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def upload(
    session: Session,
    team: Team,
    application: Application,
    data: bytes,
    *,
    name: str | None,
    folder: Path,
    kind: str = "study_report",
    max_bytes: int = MB,
) -> Document:
    return services.upload_document(
        session,
        team.applicant,
        application,
        kind=kind,
        stream=io.BytesIO(data),
        name=name,
        folder=folder,
        max_bytes=max_bytes,
    )


def document_count(session: Session, application: Application) -> int:
    return (
        session.scalar(select(func.count()).select_from(Document).where(Document.application_id == application.id)) or 0
    )


def assert_stored_safely(folder: Path, document: Document, data: bytes) -> Path:
    assert STORAGE_NAME.fullmatch(document.storage_name)
    path = documents.path_of(folder, document.storage_name)
    assert path.is_file()
    assert path.resolve().is_relative_to(folder.resolve())
    assert path.parent.name == document.storage_name[:2] and path.parent.parent == folder
    assert path.read_bytes() == data
    return path


def assert_display_name_is_safe(name: str) -> None:
    assert "/" not in name and "\\" not in name
    assert not any(unicodedata.category(ch).startswith("C") for ch in name), repr(name)
    assert name.strip() == name and not name.startswith(".")
    assert len(name) <= 200  # the column's width


# Size.


def test_a_file_over_the_limit_is_refused_with_413_and_nothing_is_left(session, team, draft, folder):
    before = document_count(session, draft)
    with pytest.raises(ServiceError) as refused:
        upload(session, team, draft, pdf(5000), name="report.pdf", folder=folder, max_bytes=1024)
    assert refused.value.status == 413 and refused.value.field == "file"
    assert files_in(folder) == []
    assert document_count(session, draft) == before


def test_a_file_found_too_large_after_several_chunks_leaves_no_partial_file(session, team, draft, folder):
    # The first chunks are written before the limit is crossed; the partial file must go again.
    with pytest.raises(ServiceError) as refused:
        upload(session, team, draft, pdf(300_000), name="report.pdf", folder=folder, max_bytes=150_000)
    assert refused.value.status == 413
    assert files_in(folder) == []


def test_a_file_of_exactly_the_limit_is_accepted_and_one_byte_more_is_not(session, team, draft, folder):
    limit = 100_000
    document = upload(session, team, draft, pdf(limit), name="exact.pdf", folder=folder, max_bytes=limit)
    assert document.size_bytes == limit
    with pytest.raises(ServiceError) as refused:
        upload(session, team, draft, pdf(limit + 1), name="over.pdf", folder=folder, max_bytes=limit)
    assert refused.value.status == 413
    assert files_in(folder) == [documents.path_of(folder, document.storage_name)]


def test_an_empty_file_is_refused(session, team, draft, folder):
    with pytest.raises(ServiceError) as refused:
        upload(session, team, draft, b"", name="report.pdf", folder=folder)
    assert refused.value.field == "file" and refused.value.status == 400
    assert files_in(folder) == []


# Type by content, not by name.


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(PNG, id="png"),
        pytest.param(JPEG, id="jpeg"),
        pytest.param(plain_zip(), id="zip"),
        pytest.param(minimal_xlsx(), id="xlsx"),
        pytest.param(minimal_docx(), id="docx"),
        pytest.param(HTML, id="html"),
        pytest.param(EXE, id="exe"),
        pytest.param(ELF, id="elf"),
        pytest.param(CSV_INVENTORY, id="csv"),
        pytest.param(b"Just some plain text pretending to be a report.\n", id="text"),
    ],
)
def test_content_that_is_not_a_pdf_is_refused_as_a_study_report_whatever_its_name(
    session, team, draft, folder, content
):
    before = document_count(session, draft)
    with pytest.raises(ServiceError) as refused:
        upload(session, team, draft, content, name="report.pdf", folder=folder)
    assert refused.value.field == "file" and refused.value.status == 400
    assert "PDF" in str(refused.value.message)
    assert files_in(folder) == []
    assert document_count(session, draft) == before


def test_a_real_pdf_named_exe_is_accepted_and_displayed_as_pdf(session, team, draft, folder):
    document = upload(session, team, draft, STUDY_REPORT, name="evil.exe", folder=folder)
    assert document.content_type == documents.PDF
    assert document.original_name == "evil.pdf"
    assert_stored_safely(folder, document, STUDY_REPORT)


def test_sha256_and_size_are_those_of_the_bytes_stored(session, team, draft, folder):
    # Larger than the sniffed head and than one read chunk, so that several chunks are hashed.
    data = pdf(200_000, seed=7)
    document = upload(session, team, draft, data, name="big-study.pdf", folder=folder)
    session.expire(document)
    stored = session.get(Document, document.id)
    assert stored is not None
    assert stored.size_bytes == len(data) == 200_000
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    path = assert_stored_safely(folder, stored, data)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == stored.sha256


# Names.


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\win.pdf", "win.pdf"),
        ("C:\\Users\\wang\\Desktop\\study.pdf", "study.pdf"),
        ("/absolute/path/study.pdf", "study.pdf"),
        ("folder/", "document.pdf"),
        ("....", "document.pdf"),
        ("", "document.pdf"),
        (None, "document.pdf"),
        ("report\x00.exe", "report.pdf"),
        ("report.pdf\x00.html", "report.pdf.pdf"),
        ("a\r\nSet-Cookie: x=1\r\n.pdf", "aSet-Cookie: x=1.pdf"),
        ("\x1b[31mred\x7f\x85.pdf", "[31mred.pdf"),
        ("\u202efdp.exe", "fdp.pdf"),
        ("\t\n.htaccess", "htaccess.pdf"),
        ("碳足迹研究报告.pdf", "碳足迹研究报告.pdf"),
    ],
)
def test_path_tricks_and_control_characters_never_reach_the_display_name_or_the_disk(
    session, team, draft, folder, name, expected
):
    document = upload(session, team, draft, STUDY_REPORT, name=name, folder=folder)
    assert document.original_name == expected
    assert_display_name_is_safe(document.original_name)
    path = assert_stored_safely(folder, document, STUDY_REPORT)
    assert files_in(folder) == [path]
    # What the database holds is the cleaned name.
    session.expire(document)
    assert session.get(Document, document.id).original_name == expected


@pytest.mark.parametrize(
    "name",
    [
        "A" * 5000 + ".pdf",
        "报" * 1000 + ".pdf",
        "../" * 500 + "x.pdf",
        "a." + "b" * 3000,
        "\x00" * 300 + "z.pdf",
    ],
    ids=["long-ascii", "long-cjk", "deep-path", "long-extension", "many-nul"],
)
def test_very_long_names_are_shortened(session, team, draft, folder, name):
    document = upload(session, team, draft, STUDY_REPORT, name=name, folder=folder)
    assert_display_name_is_safe(document.original_name)
    assert document.original_name.endswith(".pdf") and len(document.original_name) <= 154
    assert_stored_safely(folder, document, STUDY_REPORT)
    session.expire(document)
    assert session.get(Document, document.id).original_name == document.original_name


def readable_by_others(*paths: Path) -> dict[str, str]:
    return {
        str(path): oct(stat.S_IMODE(path.stat().st_mode)) for path in paths if stat.S_IMODE(path.stat().st_mode) & 0o077
    }


def test_an_upload_and_the_folders_made_for_it_are_the_registrys_own(session, team, draft, tmp_path):
    folder = tmp_path / "instance" / "uploads"  # neither exists yet: the first upload makes them
    document = upload(session, team, draft, STUDY_REPORT, name="study.pdf", folder=folder)
    path = assert_stored_safely(folder, document, STUDY_REPORT)
    assert readable_by_others(tmp_path / "instance", folder, path.parent, path) == {}


def test_an_upload_folder_an_older_instance_left_open_is_closed_by_the_next_upload(session, team, draft, folder):
    folder.chmod(0o755)
    document = upload(session, team, draft, STUDY_REPORT, name="study.pdf", folder=folder)
    path = assert_stored_safely(folder, document, STUDY_REPORT)
    assert readable_by_others(folder, path.parent, path) == {}


def test_every_upload_gets_its_own_random_storage_name(session, team, draft, folder):
    names = {upload(session, team, draft, STUDY_REPORT, name="same.pdf", folder=folder).storage_name for _ in range(5)}
    assert len(names) == 5
    assert all(STORAGE_NAME.fullmatch(n) for n in names)
    assert len(files_in(folder)) == 5


# Inventories.


def test_a_csv_is_accepted_as_an_inventory(session, team, draft, folder):
    document = upload(session, team, draft, CSV_INVENTORY, name="inventory.csv", kind="inventory", folder=folder)
    assert document.content_type == documents.CSV and document.original_name == "inventory.csv"
    assert_stored_safely(folder, document, CSV_INVENTORY)


def test_a_utf8_csv_with_bom_and_chinese_text_is_accepted(session, team, draft, folder):
    data = "\ufeff阶段,描述,数量,单位\n原材料,磷酸铁锂正极材料,12.5,千克\n".encode()
    document = upload(session, team, draft, data, name="清单.csv", kind="inventory", folder=folder)
    assert document.content_type == documents.CSV and document.original_name == "清单.csv"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(bytes(range(256)) * 8, id="all-bytes"),
        pytest.param(random.Random(1).randbytes(4096), id="random"),
        pytest.param(b"a,b,c\n1,2,3\n\x00\x01\x02\x03", id="csv-with-nul"),
        pytest.param(b"a,b,c\n\x1b[2J\x07,2,3\n", id="csv-with-escape-codes"),
        pytest.param(b"just words without any separator\nsecond line\n", id="no-separator"),
        pytest.param(HTML, id="html"),
        pytest.param(PNG, id="png"),
        pytest.param(STUDY_REPORT, id="pdf"),
        pytest.param(minimal_docx(), id="docx"),
        pytest.param(plain_zip(), id="zip"),
    ],
)
def test_content_that_is_not_a_spreadsheet_is_refused_as_an_inventory(session, team, draft, folder, content):
    with pytest.raises(ServiceError) as refused:
        upload(session, team, draft, content, name="inventory.csv", kind="inventory", folder=folder)
    assert refused.value.field == "file"
    assert files_in(folder) == []


def test_a_minimal_xlsx_is_recognised_and_accepted_as_an_inventory(session, team, draft, folder):
    data = minimal_xlsx()
    guessed = filetype.guess(data)
    assert guessed is not None and guessed.mime == documents.XLSX
    document = upload(session, team, draft, data, name="inventory.xlsx", kind="inventory", folder=folder)
    assert document.content_type == documents.XLSX and document.original_name == "inventory.xlsx"
    assert_stored_safely(folder, document, data)


def test_an_xlsx_named_csv_is_stored_as_xlsx(session, team, draft, folder):
    document = upload(session, team, draft, minimal_xlsx(), name="inventory.csv", kind="inventory", folder=folder)
    assert document.content_type == documents.XLSX and document.original_name == "inventory.xlsx"


def test_a_minimal_ods_is_accepted_as_an_inventory(session, team, draft, folder):
    data = minimal_ods()
    guessed = filetype.guess(data)
    assert guessed is not None and guessed.mime == documents.ODS
    document = upload(session, team, draft, data, name="inventory.ods", kind="inventory", folder=folder)
    assert document.content_type == documents.ODS


def test_evidence_accepts_images_and_word_files_but_not_executables(session, team, draft, folder):
    png = upload(session, team, draft, PNG, name="photo.jpg", kind="evidence", folder=folder)
    assert png.content_type == documents.PNG and png.original_name == "photo.png"
    docx = upload(session, team, draft, minimal_docx(), name="letter", kind="evidence", folder=folder)
    assert docx.content_type == documents.DOCX and docx.original_name == "letter.docx"
    with pytest.raises(ServiceError):
        upload(session, team, draft, EXE, name="photo.png", kind="evidence", folder=folder)
    assert len(files_in(folder)) == 2


def test_an_unknown_kind_is_refused_before_anything_is_written(session, team, draft, folder):
    with pytest.raises(ServiceError) as refused:
        upload(session, team, draft, STUDY_REPORT, name="x.pdf", kind="../../evil", folder=folder)
    assert refused.value.field == "kind"
    assert files_in(folder) == []


CHINESE_ROW = "原材料,磷酸铁锂正极材料,12.5,千克\n"


def chinese_csv_cut_inside_a_character() -> bytes:
    data = ("阶段,描述,数量,单位\n" + CHINESE_ROW * 1000).encode()
    head = data[: documents.SNIFF_BYTES]
    # The precondition of the test: the sniffed head ends inside a character that follows another
    # multi-byte character.
    with pytest.raises(UnicodeDecodeError):
        head.decode("utf-8")
    with pytest.raises(UnicodeDecodeError):
        head[:-3].decode("utf-8")
    return data


def test_a_long_chinese_csv_is_accepted_as_an_inventory(session, team, draft, folder):
    """The sniffed head may end inside a character (a regression test: it used to be refused two times in three)."""
    data = chinese_csv_cut_inside_a_character()
    document = upload(session, team, draft, data, name="清单.csv", kind="inventory", folder=folder)
    assert document.content_type == documents.CSV and document.size_bytes == len(data)


@pytest.mark.parametrize("space", ["\u00a0", "\u3000"], ids=["no-break-space", "ideographic-space"])
def test_a_csv_with_unicode_spaces_is_accepted_as_an_inventory(session, team, draft, folder, space):
    """str.isprintable() is False for these; they are ordinary text in a spreadsheet export (regression test)."""
    data = f"描述,数量\n电池{space}模组,1{space}234\n".encode()
    document = upload(session, team, draft, data, name="inventory.csv", kind="inventory", folder=folder)
    assert document.content_type == documents.CSV


# Who and when.


def test_only_the_applicant_uploads_and_nothing_is_written_for_anyone_else(session, team, draft, folder):
    for outsider in (team.admin, team.verifier, team.decider):
        with pytest.raises(ServiceError) as refused:
            services.upload_document(
                session,
                outsider,
                draft,
                kind="study_report",
                stream=io.BytesIO(STUDY_REPORT),
                name="x.pdf",
                folder=folder,
                max_bytes=MB,
            )
        assert refused.value.status == 403
    assert files_in(folder) == []


def test_no_upload_once_submitted(session, team, draft, folder):
    services.submit_application(session, team.applicant, draft)
    assert draft.status is ApplicationStatus.SUBMITTED
    with pytest.raises(ServiceError) as refused:
        upload(session, team, draft, STUDY_REPORT, name="late.pdf", folder=folder)
    assert refused.value.status == 409
    assert files_in(folder) == []


# Rolled-back uploads.


def test_a_savepoint_rollback_removes_the_file_written_inside_it(session, team, draft, folder):
    before = document_count(session, draft)
    nested = session.begin_nested()
    document = upload(session, team, draft, STUDY_REPORT, name="undone.pdf", folder=folder)
    path = documents.path_of(folder, document.storage_name)
    assert path.is_file()
    nested.rollback()
    # "after_soft_rollback" fires for a SAVEPOINT rollback too, so the file goes with the row.
    assert not path.exists()
    assert files_in(folder) == []
    assert document_count(session, draft) == before


def test_a_released_savepoint_keeps_the_file_until_the_transaction_rolls_back(session, team, draft, folder):
    """Releasing a savepoint fires after_commit too; the file must stay at risk until the outer commit."""
    nested = session.begin_nested()
    document = upload(session, team, draft, STUDY_REPORT, name="kept-for-now.pdf", folder=folder)
    nested.commit()
    path = documents.path_of(folder, document.storage_name)
    assert path.is_file()
    session.rollback()
    assert not path.exists()


def test_rolling_back_the_session_removes_every_file_of_the_transaction(session, team, draft, folder, tmp_path):
    document = upload(session, team, draft, STUDY_REPORT, name="gone.pdf", folder=folder)
    path = documents.path_of(folder, document.storage_name)
    draft_files = files_in(tmp_path / "draft")
    assert path.is_file() and len(draft_files) == 2
    session.rollback()
    assert not path.exists()
    # The draft's own documents were written in the same transaction.
    assert files_in(tmp_path / "draft") == []


def test_a_committed_upload_is_kept_by_a_later_rollback(session, team, draft, folder):
    document = upload(session, team, draft, STUDY_REPORT, name="kept.pdf", folder=folder)
    path = documents.path_of(folder, document.storage_name)
    session.commit()  # releases the test's savepoint; the outer test transaction still discards the rows
    nested = session.begin_nested()
    upload(session, team, draft, STUDY_REPORT, name="undone.pdf", folder=folder)
    nested.rollback()
    assert path.is_file()
    assert files_in(folder) == [path]


def test_rolling_back_an_independent_session_removes_its_file(engine: Engine, tmp_path):
    """The same with a session of its own on its own connection (the way a request's session is used)."""
    folder = tmp_path / "own"
    with Session(engine) as own:
        team = Team.demo(own)
        assert team.applicant.user is not None
        application = own.scalar(
            select(Application)
            .join(Product, Product.id == Application.product_id)
            .where(
                Application.status == ApplicationStatus.DRAFT,
                Product.model == "LN-PT-18V4Ah",
                Application.applicant_id == team.applicant.user.organisation_id,
            )
        )
        assert application is not None
        document = upload(own, team, application, STUDY_REPORT, name="own.pdf", folder=folder)
        path = documents.path_of(folder, document.storage_name)
        assert path.is_file()
        own.rollback()
        assert not path.exists()


def test_a_savepoint_rollback_keeps_the_files_of_uploads_made_before_it(session, team, draft, folder):
    """Rolling back a savepoint removes only the files written inside it."""
    kept = upload(session, team, draft, STUDY_REPORT, name="before.pdf", folder=folder)
    kept_path = documents.path_of(folder, kept.storage_name)
    nested = session.begin_nested()
    undone = upload(session, team, draft, STUDY_REPORT, name="inside.pdf", folder=folder)
    undone_path = documents.path_of(folder, undone.storage_name)
    nested.rollback()
    assert not undone_path.exists()
    assert session.get(Document, kept.id) is not None  # the earlier upload's row is still there
    assert kept_path.is_file()


def test_a_later_savepoint_rollback_keeps_the_files_of_a_released_one(session, team, draft, folder):
    first = session.begin_nested()
    kept = upload(session, team, draft, STUDY_REPORT, name="released.pdf", folder=folder)
    first.commit()
    second = session.begin_nested()
    undone = upload(session, team, draft, STUDY_REPORT, name="undone.pdf", folder=folder)
    second.rollback()
    assert documents.path_of(folder, kept.storage_name).is_file()
    assert not documents.path_of(folder, undone.storage_name).exists()
    session.rollback()
    assert files_in(folder) == []


def test_a_request_that_ends_without_committing_removes_its_file(database_url, tmp_path):
    """A view that fails after an upload (anything but a ServiceError) never commits; the app context's
    teardown rolls the session back, and the file goes with the row."""
    from registry.database import db
    from tests.conftest import make_test_app

    folder = tmp_path / "closed"
    app = make_test_app(database_url, folder)
    with app.app_context():
        own = db.session
        team = Team.demo(own)
        assert team.applicant.user is not None
        application = own.scalar(
            select(Application)
            .join(Product, Product.id == Application.product_id)
            .where(
                Application.status == ApplicationStatus.DRAFT,
                Product.model == "LN-PT-18V4Ah",
                Application.applicant_id == team.applicant.user.organisation_id,
            )
        )
        assert application is not None
        document = upload(own, team, application, STUDY_REPORT, name="abandoned.pdf", folder=folder)
        path = documents.path_of(folder, document.storage_name)
        assert path.is_file()
    # Leaving the app context ran the teardown (Database._close_session) without any commit.
    with app.app_context():
        assert db.session.get(Document, document.id) is None  # the row is gone
    assert not path.exists()
