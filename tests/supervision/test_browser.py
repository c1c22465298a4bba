"""Issue 13's "done means", in a real browser: a regulator lists an enterprise as dishonest; its body, told on its
dashboard, withdraws the enterprise's label; at once (well within the minute the caches may keep a page) the label
page, the badge, the JSON document, the status list's bit (read by joserfc and decoded here), ``POST /api/v1/verify``
and the offline CLI with freshly fetched lists all say the label is revoked, and /notices shows the withdrawal and
the listing."""

from __future__ import annotations

import gzip
import json
import re
import urllib.request
from pathlib import Path
from typing import Any

from joserfc import jws
from joserfc.jwk import ECKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.demo.services import DEMO_PASSWORD
from registry.labels.models import Label, LabelStatus
from registry.organisations.models import Organisation
from registry.products.models import Product
from registry.verifier import format as fmt
from tests.conftest import make_test_app
from tests.disclosure.test_browser import _playwright, launch_chromium, serve_registry

PUBLIC_HOST = "127.0.0.1:5000"  # the app's default, which the QR codes of serve_registry's labels carry
DECISION = "国市监信〔2026〕12号"


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, dict(response.headers), response.read()


def _post_json(url: str, document: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(document).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def _max_age(headers: dict[str, str]) -> int:
    control = headers.get("Cache-Control", "")
    if "no-store" in control or "no-cache" in control:
        return 0
    found = re.search(r"max-age=(\d+)", control)
    assert found, f"no cache lifetime in {control!r}"
    return int(found.group(1))


def _sign_in(browser, base: str, email: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="en", extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard/?$"))
    return page


def test_a_listing_leads_to_a_withdrawal_that_every_reader_sees(tmp_path: Path) -> None:
    sync_playwright = _playwright()
    with serve_registry(tmp_path) as (base, engine), sync_playwright() as playwright:
        with Session(engine) as session:
            product = session.scalar(select(Product).where(Product.model == "LN-ESS-280Ah-51.2V"))
            assert product is not None
            label = session.scalar(select(Label).where(Label.product_id == product.id))
            assert label is not None and label.status is LabelStatus.VALID
            holder = session.get(Organisation, label.holder_id)
            assert holder is not None and holder.uscc
            uscc, public_id, certificate = holder.uscc, label.public_id, label.certificate_number
            status_list, status_index = label.status_list, label.status_index
            scanned = label.qr_url(PUBLIC_HOST)
        browser = launch_chromium(playwright)
        try:
            # The regulator puts the enterprise on the dishonest-entity list from the console.
            regulator = _sign_in(browser, base, "regulator@example.com")
            regulator.goto(f"{base}/supervision/")
            regulator.click("text=Put an enterprise on the list")
            regulator.fill("#uscc", uscc)
            regulator.fill("#reason", "Footprint data falsified in three certifications.")
            regulator.fill("#decision_number", DECISION)
            regulator.click("button:has-text('Put on the list')")
            regulator.wait_for_load_state()
            assert DECISION in regulator.content()
            assert "Withdrawal demands not yet met" in regulator.content()
            assert certificate in regulator.inner_text("#demands-heading ~ table")

            # The body sees the demand on its dashboard, opens the label and withdraws it with the listing's reason.
            body = _sign_in(browser, base, "body.admin@example.com")
            assert certificate in body.inner_text("#demands-heading ~ ul")
            body.click(f"#demands-heading ~ ul a:has-text('{certificate}')")
            body.wait_for_url(re.compile(rf".*/labels/{public_id}$"))
            body.click("details.status-change summary:has-text('Withdraw')")
            body.select_option("#withdraw-reason_code", "dishonest_listing")
            body.fill("#withdraw-public_reason", "The holder is on the dishonest-entity list.")
            body.click("form[action$='/withdraw'] button[type=submit]")
            body.wait_for_load_state()
            assert "Withdrawn" in body.inner_text("main")
            # The demand is met: the body's dashboard no longer asks for it.
            body.goto(f"{base}/dashboard/")
            assert body.locator("#demands-heading").count() == 0

            # The public label page, in a fresh browser without an account.
            shopper = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"}).new_page()
            shopper.goto(f"{base}/l/{public_id}")
            assert "已撤销" in shopper.inner_text("main")
            assert "The holder is on the dishonest-entity list." in shopper.inner_text("main")
        finally:
            browser.close()

        # Every other reader, over HTTP, each with a cache lifetime of at most a minute.
        status, headers, page = _get(f"{base}/l/{public_id}", **{"Accept-Language": "en"})
        assert status == 200 and "Withdrawn" in page.decode() and _max_age(headers) <= 60
        status, headers, badge = _get(f"{base}/badge/{public_id}.svg")
        assert status == 200 and "已撤销" in badge.decode() and _max_age(headers) <= 60
        status, headers, document = _get(f"{base}/l/{public_id}.json")
        assert json.loads(document)["status"] == "withdrawn" and _max_age(headers) <= 60

        # The revocation list's bit, from the credential joserfc verifies with the registry's root key.
        _, _, jwks = _get(f"{base}/.well-known/jwks.json")
        status, headers, compact = _get(f"{base}/status/revocation/{status_list}")
        assert _max_age(headers) <= 60
        kid = json.loads(fmt.b64url_decode(compact.decode().split(".")[0]))["kid"]
        (root,) = [key for key in json.loads(jwks)["keys"] if key["kid"] == kid]
        credential = json.loads(jws.deserialize_compact(compact.decode(), ECKey.import_key(root)).payload)
        bits = gzip.decompress(fmt.b64url_decode(credential["credentialSubject"]["encodedList"][1:]))
        assert bits[status_index // 8] >> (7 - status_index % 8) & 1 == 1

        # The verify API.
        verdict = _post_json(f"{base}/api/v1/verify", {"url": scanned})
        assert (verdict["verdict"], verdict["record_status"]) == ("revoked", "withdrawn"), verdict

        # The offline CLI, with a trust list and status lists fetched now.
        files = {}
        for name, path in (
            ("trust", "/.well-known/label-trust-list.json"),
            ("revocation", f"/status/revocation/{status_list}"),
            ("suspension", f"/status/suspension/{status_list}"),
        ):
            files[name] = tmp_path / f"{name}.saved"
            files[name].write_bytes(_get(base + path)[2])
        files["root"] = tmp_path / "root.jwk"
        files["root"].write_text(json.dumps(root))
        runner = make_test_app("sqlite://").test_cli_runner()
        result = runner.invoke(
            args=[
                "labels",
                "verify",
                scanned,
                "--offline",
                "--trust-list",
                str(files["trust"]),
                "--status-list",
                str(files["revocation"]),
                "--status-list",
                str(files["suspension"]),
                "--root-key",
                str(files["root"]),
                "--json",
            ]
        )
        assert json.loads(result.output)["verdict"] == "revoked", result.output
        assert result.exit_code != 0  # a script sees it without reading the output

        # The public notices: the withdrawal and the listing.
        _, _, notices = _get(f"{base}/notices", **{"Accept-Language": "en"})
        text = notices.decode()
        assert certificate in text and DECISION in text
