"""Signed labels end to end: issued with its token and status entry in the granting transaction, the QR code
within version 13, the status lists tracking the labels, and the offline CLI verifier on saved files."""

from __future__ import annotations

import gzip
import json
import re
import string
from pathlib import Path

import pytest
import qrcode
import qrcode.constants
from hypothesis import given, settings, strategies as st
from sqlalchemy import func, select

from registry.applications.models import Application, ApplicationStatus, Outcome
from registry.applications.services.decisions import decide_application
from registry.demo.applications import Team, complete_draft, drive_to
from registry.errors import ServiceError
from registry.keys.services import public_jwk, root_key
from registry.labels.models import Label, LabelStatus, StatusListCounter
from registry.labels.tokens import MAX_QR_VERSION, public_record, qr_version, worst_case_url
from registry.organisations.models import Organisation
from registry.products.models import Product
from registry.schemes.loader import load_scheme_file
from registry.verifier import format as fmt
from tests.conftest import SCHEMES_DIR


@pytest.fixture
def recommended(session, upload_dir) -> tuple[Team, Application]:  # type: ignore[no-untyped-def]
    team = Team.demo(session)
    body = session.scalar(select(Organisation).where(Organisation.body_code == "HTDEMO"))
    product = session.scalar(select(Product).where(Product.model == "LN-PT-18V4Ah"))
    application = complete_draft(session, team, product, body, folder=upload_dir)
    return team, drive_to(session, team, application, ApplicationStatus.RECOMMENDED)


def test_granting_issues_the_label_with_a_verifiable_token_and_its_own_status_entry(session, recommended):
    team, application = recommended
    before = {(label.status_list, label.status_index) for label in session.scalars(select(Label))}
    label = decide_application(session, team.decider, application, outcome=Outcome.GRANT, reasons="Meets the scheme.")
    assert label is not None
    claims = fmt.parse_claims(fmt.decode_sign1(label.token).payload)
    gtin = application.product.gtin
    assert claims.sub == label.path == (f"/01/{gtin}" if gtin else f"/l/{label.public_id}")
    assert claims.label_id == label.public_id and len(claims.cti) == 12  # 96 random bits
    assert claims.iss == "HTDEMO" and claims.scheme_id == application.scheme_version.code
    assert claims.footprint_g == int(application.declared_footprint * 1000)
    assert claims.record_hash == fmt.record_hash(public_record(label))
    assert (claims.status_list, claims.status_index) == (label.status_list, label.status_index)
    assert (label.status_list, label.status_index) not in before
    assert qr_version(label.qr_url("127.0.0.1:5000")) <= MAX_QR_VERSION


def test_a_grant_whose_qr_code_would_be_too_big_writes_nothing(session, recommended, app):
    team, application = recommended
    labels = session.scalar(select(func.count()).select_from(Label))
    counters = session.scalars(select(StatusListCounter.last_index)).all()
    app.config["PUBLIC_HOST"] = "a-very-long-public-host-name.registry.example.org.cn"
    with app.app_context():
        savepoint = session.begin_nested()
        with pytest.raises(ServiceError, match=r"version 1[4-9]"):
            decide_application(session, team.decider, application, outcome=Outcome.GRANT, reasons="Meets the scheme.")
        savepoint.rollback()
    session.expire_all()
    assert application.status is ApplicationStatus.RECOMMENDED
    assert session.scalar(select(func.count()).select_from(Label)) == labels
    assert session.scalars(select(StatusListCounter.last_index)).all() == counters


@pytest.mark.parametrize("host", ["127.0.0.1:5000", "cfp.samr.gov.cn", "label-registry.cn"])
@pytest.mark.parametrize("scheme_file", sorted(SCHEMES_DIR.glob("*/*.toml")), ids=lambda p: p.parent.name)
def test_the_largest_label_of_every_shipped_scheme_fits_a_version_13_qr_code(scheme_file, host):
    url = worst_case_url(load_scheme_file(scheme_file).spec, host)
    assert qr_version(url) <= MAX_QR_VERSION, (len(url), url)


def test_a_host_too_long_for_the_shipped_schemes_is_caught_at_scheme_sync(app, session):
    from registry.schemes.services import check_schemes

    app.config["PUBLIC_HOST"] = "carbon-footprint-labels.example.org.cn"
    with app.app_context():
        report = check_schemes(None, SCHEMES_DIR)
    assert not report.ok
    assert any("version-14 QR code" in message or "version-15 QR code" in message for message in report.refused)


def test_status_lists_follow_the_labels_statuses(client, session):
    label = session.scalars(select(Label).order_by(Label.id)).first()

    def bit(purpose: str) -> bool:
        response = client.get(f"/status/{purpose}/{label.status_list}")
        assert response.status_code == 200 and response.content_type == "application/vc+jwt"
        assert (
            response.headers["Cache-Control"].startswith("public") and "max-age=60" in response.headers["Cache-Control"]
        )
        credential = json.loads(fmt.b64url_decode(response.get_data(as_text=True).split(".")[1]))
        bits = gzip.decompress(fmt.b64url_decode(credential["credentialSubject"]["encodedList"][1:]))
        assert len(bits) * 8 >= 131072
        return bool(bits[label.status_index // 8] & (0x80 >> (label.status_index % 8)))

    assert (bit("revocation"), bit("suspension")) == (False, False)
    for status, expected in (
        (LabelStatus.SUSPENDED, (False, True)),
        (LabelStatus.VALID, (False, False)),
        (LabelStatus.WITHDRAWN, (True, False)),
        (LabelStatus.CANCELLED, (True, False)),
        (LabelStatus.SUPERSEDED, (False, False)),
    ):
        savepoint = session.begin_nested()  # each from valid: the lifecycle allows no way back from most
        label.status = status
        session.flush()
        assert (bit("revocation"), bit("suspension")) == expected, status
        online = client.get(f"/l/{label.public_id}/status")
        assert online.get_json()["status"] == status.value
        assert (online.get_json()["revoked"], online.get_json()["suspended"]) == expected
        assert "max-age=60" in online.headers["Cache-Control"]
        savepoint.rollback()


def test_unknown_lists_and_labels_are_404(client):
    assert client.get("/status/revocation/99").status_code == 404
    assert client.get("/status/other/0").status_code == 404
    assert client.get("/l/AAAAAAAAAAAAAAAA/status").status_code == 404
    assert client.get("/l/AAAAAAAAAAAAAAAA/qr.png").status_code == 404


def test_qr_images_are_immutable_with_a_strong_etag(client, session):
    label = session.scalars(select(Label)).first()
    for kind, content_type in (("qr.svg", "image/svg+xml"), ("qr.png", "image/png")):
        response = client.get(f"/l/{label.public_id}/{kind}")
        assert response.status_code == 200 and response.content_type.startswith(content_type)
        assert (
            "immutable" in response.headers["Cache-Control"] and "max-age=31536000" in response.headers["Cache-Control"]
        )
        etag = response.headers["ETag"]
        assert not etag.startswith("W/")
        assert client.get(f"/l/{label.public_id}/{kind}", headers={"If-None-Match": etag}).status_code == 304


def _save(client, tmp_path: Path, label: Label) -> tuple[Path, list[Path], Path]:  # type: ignore[no-untyped-def]
    trust = tmp_path / "label-trust-list.json"
    trust.write_bytes(client.get("/.well-known/label-trust-list.json").data)
    lists = []
    for purpose in ("revocation", "suspension"):
        path = tmp_path / f"{purpose}-{label.status_list}.jwt"
        path.write_bytes(client.get(f"/status/{purpose}/{label.status_list}").data)
        lists.append(path)
    return trust, lists, tmp_path


def test_the_cli_verifies_a_scanned_url_offline_against_saved_files(app, client, session, runner, tmp_path):
    label = session.scalars(select(Label)).first()
    trust, lists, _ = _save(client, tmp_path, label)
    root = tmp_path / "root.jwk"
    root.write_text(json.dumps(public_jwk(root_key(session))))
    args = [
        "labels",
        "verify",
        label.qr_url(app.config["PUBLIC_HOST"]),
        "--offline",
        "--trust-list",
        str(trust),
        "--root-key",
        str(root),
    ]
    result = runner.invoke(args=args + [f"--status-list={p}" for p in lists])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("valid: Valid: the label was issued by")
    assert re.search(r"trust list: \d+ s old", result.output) and "status list revocation-0:" in result.output
    chinese = runner.invoke(args=args + ["--lang", "zh_CN", "--json"] + [f"--status-list={p}" for p in lists])
    document = json.loads(chinese.output)
    assert document["verdict"] == "valid" and document["message"].startswith("有效")
    assert set(document["sources_age_seconds"]) == {"trust_list", "revocation-0", "suspension-0"}
    # Without status lists it still verifies the signature, and says plainly what it did not check.
    bare = runner.invoke(args=args)
    assert bare.exit_code == 0 and "revocation and suspension NOT checked" in bare.output
    # With only the revocation list, it says that suspension was not checked.
    revocation_only = runner.invoke(args=[*args, f"--status-list={lists[0]}"])
    assert revocation_only.exit_code == 0, revocation_only.output
    assert f"status list suspension-{label.status_list}: not given, suspension NOT checked" in revocation_only.output
    assert "revocation NOT checked" not in revocation_only.output
    # A label withdrawn after the lists were saved: the saved lists still say valid; fresh lists say revoked.
    label.status = LabelStatus.WITHDRAWN
    session.flush()
    stale = runner.invoke(args=args + [f"--status-list={p}" for p in lists])
    assert stale.exit_code == 0, stale.output
    assert stale.output.startswith("valid:")
    _save(client, tmp_path, label)
    revoked = runner.invoke(args=args + [f"--status-list={p}" for p in lists])
    assert revoked.exit_code == 1 and revoked.output.startswith("revoked:")


def test_the_cli_explains_unusable_inputs(runner, tmp_path, session, client):
    label = session.scalars(select(Label)).first()
    garbage = tmp_path / "trust.json"
    garbage.write_text("{not json")
    result = runner.invoke(args=["labels", "verify", label.qr_url("h"), "--offline", "--trust-list", str(garbage)])
    assert result.exit_code == 2 and "Could not load the trust list" in result.output
    missing = runner.invoke(args=["labels", "verify", label.qr_url("h"), "--offline"])
    assert missing.exit_code == 2 and "--offline needs --trust-list" in missing.output
    malformed = runner.invoke(args=["labels", "verify", "hello", "--offline", "--trust-list", str(garbage)])
    assert malformed.exit_code == 2
    # With usable files, "hello" itself is read, and is not a label.
    trust, lists, _ = _save(client, tmp_path, label)
    root = tmp_path / "root.jwk"
    root.write_text(json.dumps(public_jwk(root_key(session))))
    hello = runner.invoke(
        args=["labels", "verify", "hello", "--offline", "--trust-list", str(trust), "--root-key", str(root)]
        + [f"--status-list={p}" for p in lists]
    )
    assert hello.exit_code == 1, hello.output
    assert hello.output.startswith("malformed:")


def test_the_cli_online_mode_fetches_from_the_label_s_host(app, runner, session, client, monkeypatch, tmp_path):
    """Online mode fetches the trust list and the token's two status lists from the URL's host (here served by
    the test client instead of the network) and can save them for later offline use."""
    from registry.verifier import sources

    app.config["PUBLIC_HOST"] = "cfp.example.cn"
    label = session.scalars(select(Label)).first()
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        assert url.startswith("https://cfp.example.cn/")
        return client.get(url.removeprefix("https://cfp.example.cn")).data

    monkeypatch.setattr(sources, "http_fetch", fetch)
    monkeypatch.setattr(sources.fetch_online, "__defaults__", (fetch,))
    result = runner.invoke(args=["labels", "verify", label.qr_url("cfp.example.cn"), "--save", str(tmp_path / "saved")])
    assert result.exit_code == 0, result.output
    assert [u.split("cfp.example.cn")[1] for u in fetched] == [
        "/.well-known/label-trust-list.json",
        "/status/revocation/0",
        "/status/suspension/0",
    ]
    assert sorted(p.name for p in (tmp_path / "saved").iterdir()) == [
        "label-trust-list.json",
        "revocation-0.jwt",
        "suspension-0.jwt",
    ]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.ascii_letters + string.digits + "-_./:#% $*+", min_size=1, max_size=420))
def test_the_fast_qr_version_count_agrees_with_qrcode(data):
    """Issuance sizes the QR code arithmetically; qrcode's own sizing (through its bit buffer) must agree."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    assert qr_version(data) == code.best_fit()
