"""A real browser (Debian's chromium, driven by Playwright) opens labels the way a shopper's phone does: through
the full QR URL, in a phone-sized viewport, with the in-page script checking the token with WebCrypto.

Screenshots are kept in ``build/test-artifacts/``. Waits use selectors, never ``wait_for_function``: the page's
Content-Security-Policy (no ``unsafe-eval``) stops Playwright from evaluating strings in it, as it should.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cbor2
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from registry import PROJECT_ROOT, migrate
from registry.applications.models import ApplicationStatus, Outcome
from registry.applications.services.decisions import decide_application
from registry.audit.services import Actor
from registry.database import make_engine
from registry.demo.applications import Team, complete_draft, drive_to
from registry.demo.services import load_demo_data
from registry.labels.models import Label
from registry.organisations.models import Organisation
from registry.products.models import Product
from registry.schemes.services import sync_schemes
from registry.verifier import format as fmt
from tests.conftest import SCHEMES_DIR, make_test_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "build" / "test-artifacts"
PHONE = {"width": 390, "height": 844}


def _playwright():  # type: ignore[no-untyped-def]
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        if os.environ.get("REGISTRY_STRICT_SYSTEM_DEPS"):
            raise
        pytest.skip(f"Playwright is not installed ({error}); `make install` installs it")
    if not Path(CHROMIUM).exists():
        if os.environ.get("REGISTRY_STRICT_SYSTEM_DEPS"):
            raise AssertionError("chromium is missing although CI installs it (make system-deps)")
        pytest.skip("Debian's chromium is not installed: run `make system-deps` as root (apt-get install chromium)")
    return sync_playwright


def launch_chromium(playwright, *args: str):  # type: ignore[no-untyped-def]
    """Debian's chromium, headless. Under libfaketime (CI's run with the clock ahead) it keeps the faked clock the
    server has, but with its monotonic clock faked too: with only the wall clock moved, chromium never finishes
    loading a page."""
    env = {name: value for name, value in os.environ.items() if name != "FAKETIME_DONT_FAKE_MONOTONIC"}
    return playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", *args], env=env)


@contextmanager
def serve_registry(
    folder: Path,
    prepare: Callable[[Session, Path], None] | None = None,
    wrap: Callable[[Any], Any] | None = None,
) -> Iterator[tuple[str, Engine]]:
    """The registry with the demo data on a SQLite database of its own in ``folder``, served over HTTP on 127.0.0.1
    (a secure context for WebCrypto): its base URL and engine. ``prepare(session, upload_folder)`` adds to the data
    before it is served; ``wrap`` wraps the WSGI app (to log requests, say)."""
    url = f"sqlite:///{folder}/registry.sqlite3"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        sync_schemes(session, Actor.system(), SCHEMES_DIR)
        load_demo_data(session, upload_dir=folder / "uploads")
        if prepare is not None:
            prepare(session, folder / "uploads")
        session.commit()
    app = make_test_app(url, folder / "uploads", SESSION_COOKIE_SECURE=False, SERVER_NAME=None)
    if wrap is not None:
        app.wsgi_app = wrap(app.wsgi_app)  # type: ignore[method-assign]
    http = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{http.server_port}", engine
    finally:
        http.shutdown()
        engine.dispose()


def _second_battery_label(session: Session, folder: Path) -> None:
    """A second label under the battery scheme, so two products can be compared."""
    team = Team.demo(session)
    body = session.scalar(select(Organisation).where(Organisation.body_code == "HTDEMO"))
    product = session.scalar(select(Product).where(Product.model == "LN-PT-18V4Ah"))
    application = drive_to(
        session, team, complete_draft(session, team, product, body, folder=folder), ApplicationStatus.RECOMMENDED
    )
    decide_application(session, team.decider, application, outcome=Outcome.GRANT, reasons="Meets the scheme.")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[Label]]]:
    with serve_registry(tmp_path_factory.mktemp("browser"), prepare=_second_battery_label) as (base, engine):
        with Session(engine) as session:
            labels = list(session.scalars(select(Label).order_by(Label.id)))
            session.expunge_all()
        yield base, labels


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    sync_playwright = _playwright()
    with sync_playwright() as playwright:
        instance = launch_chromium(
            playwright,
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        )
        yield instance
        instance.close()


def _phone(browser, language: str = "zh-CN"):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        viewport=PHONE,
        locale=language,
        extra_http_headers={"Accept-Language": language},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    return context.new_page()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _scanned(base: str, label: Label, path: str | None = None) -> str:
    """What the phone opens: the QR code's URL, on the test server's origin."""
    return f"{base}{path or label.path}#L1.{label.token}"


def test_a_scanned_label_opens_verified_on_a_phone(server, browser):
    base, labels = server
    label = next(item for item in labels if item.path.startswith("/01/"))
    page = _phone(browser)
    page.goto(_scanned(base, label))
    check = page.locator("#token-check")
    check.wait_for(state="visible")
    page.locator("#token-check.ok").wait_for(timeout=10_000)
    assert "签名验证通过" in check.inner_text() and "华碳示范认证中心" in check.inner_text()
    assert page.locator(".label-figure .status").inner_text() == "有效"
    assert page.locator("svg[aria-labelledby^='lifecycle']").is_visible()
    # Mobile first: nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(page, "label-verified-zh")
    page.context.close()


def test_the_printed_labels_qr_code_decoded_and_opened_shows_the_verified_page(server, browser):
    """Done means (issue 5): decode a demo label's printed QR code, open what it says in chromium, see it verified."""
    import io
    import urllib.request
    from urllib.parse import urlsplit

    from PIL import Image

    from tests.conftest import require_zbar

    decode = require_zbar()
    base, labels = server
    label = next(item for item in labels if item.path.startswith("/01/"))
    with urllib.request.urlopen(f"{base}/l/{label.public_id}/label-small.png") as printed:  # the artwork to print
        (symbol,) = [s for s in decode(Image.open(io.BytesIO(printed.read()))) if s.type == "QRCODE"]
    scanned = urlsplit(symbol.data.decode("utf-8"))
    assert scanned.scheme == "https" and scanned.fragment.startswith("L1.")
    page = _phone(browser)
    page.goto(f"{base}{scanned.path}#{scanned.fragment}")  # the same path and token, on the test server's origin
    page.locator("#token-check.ok").wait_for(timeout=10_000)
    assert "签名验证通过" in page.locator("#token-check").inner_text()
    assert page.locator(".label-figure .status").inner_text() == "有效"
    _shot(page, "printed-qr-verified-zh")
    page.context.close()


def test_a_token_moved_to_another_product_is_flagged(server, browser):
    base, labels = server
    first, second = [item for item in labels if item.path.startswith("/01/")][:2]
    page = _phone(browser, "en")
    page.goto(f"{base}{second.path}#L1.{first.token}")
    page.locator("#token-check.warning").wait_for(timeout=10_000)
    text = page.locator("#token-check").inner_text()
    # The product is named (from the token's label's public record), not given as a raw path (issue 18 item 8).
    assert "belongs to another product" in text and first.product.name_en in text and first.holder.name_en in text
    assert first.path not in text
    link = page.locator("#token-check a")
    assert link.get_attribute("href") == f"/l/{first.public_id}"
    assert page.locator("#token-check").get_attribute("role") == "alert"
    _shot(page, "label-moved-token-en")
    page.context.close()


def test_a_tampered_token_is_flagged(server, browser):
    base, labels = server
    label = labels[0]
    token = label.token
    tampered = token[:-10] + ("A" if token[-10] != "A" else "B") + token[-9:]
    page = _phone(browser, "en")
    page.goto(f"{base}{label.path}#L1.{tampered}")
    page.locator("#token-check.warning").wait_for(timeout=10_000)
    assert "not valid" in page.locator("#token-check").inner_text()
    page.context.close()


def test_an_untagged_token_is_flagged_like_the_python_verifier_does(server, browser):
    """The same genuine COSE_Sign1 without its tag 18: the format requires the tag, so the page must not say
    "verified" where ``registry.verifier`` says ``malformed``."""
    base, labels = server
    label = next(item for item in labels if item.path.startswith("/01/"))
    raw = fmt.b64url_decode(label.token)
    assert raw[0] == 0xD2  # tag 18
    untagged = fmt.b64url(raw[1:])
    assert cbor2.loads(raw[1:]) == list(cbor2.loads(raw).value)
    page = _phone(browser, "en")
    page.goto(f"{base}{label.path}#L1.{untagged}")
    page.locator("#token-check.warning").wait_for(timeout=10_000)
    assert "not a valid carbon footprint label code" in page.locator("#token-check").inner_text()
    page.context.close()


def test_switching_language_keeps_the_label_and_its_check(server, browser):
    base, labels = server
    label = labels[0]
    page = _phone(browser, "zh-CN")
    page.goto(_scanned(base, label))
    page.locator("#token-check.ok").wait_for(timeout=10_000)
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Certificate number" in page.content()
    # The token rides along on the language switch (a fragment survives the redirect back), so the check reruns.
    assert page.url.endswith(label.token)
    page.locator("#token-check.ok").wait_for(timeout=10_000)
    assert "Signature verified" in page.locator("#token-check").inner_text()
    _shot(page, "label-verified-en")
    page.context.close()


def test_the_page_reads_without_javascript(server, browser):
    base, labels = server
    context = browser.new_context(
        viewport=PHONE, java_script_enabled=False, locale="en", extra_http_headers={"Accept-Language": "en"}
    )
    page = context.new_page()
    page.goto(_scanned(base, labels[0]))
    assert labels[0].certificate_number in page.content()
    assert page.locator("#token-check").count() == 1  # present, so "hidden" is about it and not its absence
    assert page.locator("#token-check").is_hidden()
    _shot(page, "label-no-javascript")
    context.close()


def test_search_filter_and_compare_in_the_catalogue(server, browser):
    base, _labels = server
    page = _phone(browser, "en")
    page.goto(f"{base}/catalogue")
    # On a phone the filters are folded, so the first result shows above the fold (issue 18 item 10).
    assert page.get_by_label("Sort").is_hidden()
    assert page.locator(".result-count").bounding_box()["y"] < PHONE["height"]
    assert page.locator(".label-card").first.bounding_box()["y"] < PHONE["height"]
    page.get_by_label("Product, company, certificate number or barcode").fill("battery")
    page.locator("summary", has_text="Filter and sort").click()
    page.get_by_label("Sort").select_option("footprint")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert "q=battery" in page.url and "sort=footprint" in page.url  # the state is in the URL, to share
    cards = page.locator(".label-card")
    assert cards.count() == 2
    assert page.locator(".result-count").inner_text() == "2 labels found."
    values = [float(text.split()[0]) for text in cards.locator("strong").all_inner_texts()]
    assert values == sorted(values)
    page.get_by_label("Category").select_option("li-battery")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert "scheme=li-battery" in page.url and page.locator(".label-card").count() == 2
    _shot(page, "catalogue-en")
    for box in page.locator(".compare-pick input").all():
        box.check()
    page.get_by_role("button", name="Compare the chosen products").click()
    page.wait_for_load_state()
    assert "/compare?" in page.url
    table = page.locator("table")
    assert table.locator("thead th").count() == 3  # the row header and two products
    assert "Raw material acquisition" in table.inner_text()
    _shot(page, "compare-en")
    page.context.close()


def test_a_platform_page_embeds_the_widget_with_the_script(server, browser):
    base, labels = server
    label = labels[0]
    shop_html = (
        f"<!doctype html><html><body><h1>A shop</h1>"
        f'<script src="{base}/static/js/embed.js" data-label="{label.public_id}"></script></body></html>'
    ).encode()

    def shop(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [shop_html]

    # The platform's page lives on another origin, as it would in reality.
    other = make_server("127.0.0.1", 0, shop)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{other.server_port}/")
    frame_element = page.locator("iframe")
    frame_element.wait_for(timeout=10_000)
    frame = frame_element.content_frame
    frame.locator(".embed-card").wait_for(timeout=10_000)
    assert label.certificate_number in frame.locator(".embed-card").inner_text()
    _shot(page, "platform-widget")
    page.close()
    other.shutdown()
