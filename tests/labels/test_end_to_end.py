"""The issue's "done means": a label granted in the browser is downloaded as artwork, its printed QR code is read
by an independent decoder, and the CLI verifies it offline against a saved trust list and status lists."""

from __future__ import annotations

import io
import json
import re

from PIL import Image
from sqlalchemy import select

from registry.applications.models import ApplicationStatus
from registry.demo.applications import Team, complete_draft, drive_to
from registry.keys.services import public_jwk, root_key
from registry.labels.models import Label
from registry.organisations.models import Organisation
from registry.products.models import Product
from tests.conftest import post_form, require_zbar, sign_in


def test_grant_in_the_browser_print_scan_and_verify_offline(app, client, session, runner, upload_dir, tmp_path):
    decode = require_zbar()
    team = Team.demo(session)
    body = session.scalar(select(Organisation).where(Organisation.body_code == "HTDEMO"))
    product = session.scalar(select(Product).where(Product.model == "LN-PT-18V4Ah"))
    application = drive_to(
        session, team, complete_draft(session, team, product, body, folder=upload_dir), ApplicationStatus.RECOMMENDED
    )
    session.commit()

    # The decision maker grants it in the browser.
    sign_in(client, "decision@example.com")
    page = f"/applications/{application.id}"
    response = post_form(
        client,
        f"{page}/decide",
        {"decision-outcome": "grant", "decision-reason": "All requirements met."},
        form_url=page,
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    label = session.scalar(select(Label).where(Label.application_id == application.id))
    assert label is not None

    # The label page links the printable artwork; download the small-package PNG, as a print shop would.
    detail = client.get(f"/labels/{label.public_id}").get_data(as_text=True)
    link = re.search(r'href="(/l/[^"]+/label-small\.png)"', detail)
    assert link, "the label page links the small-package PNG"
    png = client.get(link.group(1))
    assert png.status_code == 200 and png.content_type == "image/png"
    assert "immutable" in png.headers["Cache-Control"]

    # "Photograph" it: zbar reads the QR code from the printed artwork.
    (symbol,) = [s for s in decode(Image.open(io.BytesIO(png.data))) if s.type == "QRCODE"]
    scanned = symbol.data.decode("utf-8")
    assert scanned == label.qr_url(app.config["PUBLIC_HOST"])

    # Save what a verifier caches, then verify with no network.
    client.get("/logout")
    (tmp_path / "label-trust-list.json").write_bytes(client.get("/.well-known/label-trust-list.json").data)
    for purpose in ("revocation", "suspension"):
        (tmp_path / f"{purpose}.jwt").write_bytes(client.get(f"/status/{purpose}/{label.status_list}").data)
    (tmp_path / "root.jwk").write_text(json.dumps(public_jwk(root_key(session))))
    result = runner.invoke(
        args=[
            "labels",
            "verify",
            scanned,
            "--offline",
            "--trust-list",
            str(tmp_path / "label-trust-list.json"),
            "--status-list",
            str(tmp_path / "revocation.jwt"),
            "--status-list",
            str(tmp_path / "suspension.jwt"),
            "--root-key",
            str(tmp_path / "root.jwk"),
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.output)
    assert verdict["verdict"] == "valid"
    assert verdict["label"]["label_id"] == label.public_id
    assert verdict["issuer"]["code"] == "HTDEMO"
