"""Names stored before input refused direction controls cannot reorder the public pages around them: in HTML
each sits in a ``<bdi>`` without its controls, in titles and meta tags between FSI and PDI, in the API without
them."""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import select, update

from registry.labels.models import Label
from registry.organisations.models import Organisation
from registry.products.models import Product

RLO, PDI, FSI = "\u202e", "\u2069", "\u2068"
# A stray PDI first (it would close an isolate early), then an override that would run on into what follows.
STORED_NAME = f"示范{PDI}{RLO}电池 Pack{RLO}"
STORED_MODEL = f"TB-{RLO}001"
STORED_HOLDER = f"{RLO}示范有限公司"


@pytest.fixture
def label(session) -> Label:  # type: ignore[no-untyped-def]
    """The first label, its product and holder rewritten in SQL, as a row written before the validator."""
    label = session.scalars(select(Label).order_by(Label.id)).first()
    session.execute(
        update(Product)
        .where(Product.id == label.product_id)
        .values(name_zh=STORED_NAME, name_en=STORED_NAME, model=STORED_MODEL)
    )
    session.execute(
        update(Organisation)
        .where(Organisation.id == label.holder_id)
        .values(name_zh=STORED_HOLDER, name_en=STORED_HOLDER)
    )
    session.flush()
    return label


def _shown(text: str) -> str:
    return text.replace(PDI, "").replace(RLO, "")


def _no_override_left(page: str) -> None:
    assert RLO not in page and "&#8238;" not in page.lower() and "\\u202e" not in page.lower()


def test_the_label_page_isolates_the_names_in_the_page_its_title_and_its_meta_tags(client, label):
    page = client.get(f"/l/{label.public_id}").get_data(as_text=True)
    assert f"<h1><bdi>{_shown(STORED_NAME)}</bdi></h1>" in page
    assert (
        f'<p class="muted"><bdi>{_shown(STORED_MODEL)}</bdi> · GTIN' in page
        or f'<p class="muted"><bdi>{_shown(STORED_MODEL)}</bdi></p>' in page
    )
    holder_link = f'<a href="/enterprises/{label.holder.uscc}"><bdi>{_shown(STORED_HOLDER)}</bdi></a>'
    assert f'<p class="eyebrow">{holder_link}</p>' in page
    title = html.unescape(re.search(r"<title>(.*?)</title>", page, re.DOTALL).group(1))
    assert title.startswith(f"{FSI}{_shown(STORED_NAME)}{PDI} · {label.certificate_number}")
    og_title = html.unescape(re.search(r'<meta property="og:title" content="([^"]*)"', page).group(1))
    assert og_title.startswith(f"{FSI}{_shown(STORED_NAME)}{PDI} · ")
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL).group(1))
    assert ld["name"] == _shown(STORED_NAME) and ld["model"] == _shown(STORED_MODEL)
    _no_override_left(page)


def test_the_catalogue_and_the_holders_page_isolate_the_names(client, label):
    page = client.get(f"/catalogue?q={label.certificate_number}").get_data(as_text=True)
    assert f'class="label-card-name" href="/l/{label.public_id}"><bdi>{_shown(STORED_NAME)}</bdi></a>' in page
    holder_link = f'<a href="/enterprises/{label.holder.uscc}"><bdi>{_shown(STORED_HOLDER)}</bdi></a>'
    assert f'<span class="muted">{holder_link} · <bdi>{_shown(STORED_MODEL)}</bdi>' in page
    _no_override_left(page)
    holder = client.get(f"/enterprises/{label.holder.uscc}").get_data(as_text=True)
    assert f"<h1><bdi>{_shown(STORED_HOLDER)}</bdi></h1>" in holder
    assert f"<title>{FSI}{_shown(STORED_HOLDER)}{PDI} · " in holder
    _no_override_left(holder)


def test_the_widget_isolates_the_product_name_from_the_certificate_number(client, label):
    page = client.get(f"/embed/{label.public_id}").get_data(as_text=True)
    assert f"<bdi>{_shown(STORED_NAME)}</bdi> · {label.certificate_number}" in page
    _no_override_left(page)


def test_the_api_leaves_the_controls_out_of_the_names_platforms_show(client, label):
    item = client.get(f"/api/v1/labels?q={label.certificate_number}").get_json()["data"][0]
    assert item["product"] == {
        "name_zh": _shown(STORED_NAME),
        "name_en": _shown(STORED_NAME),
        "model": _shown(STORED_MODEL),
    }
    assert item["holder"] == {"name_zh": _shown(STORED_HOLDER), "name_en": _shown(STORED_HOLDER)}
    one = client.get(f"/api/v1/labels/{label.public_id}").get_json()
    assert one["product"]["model"] == _shown(STORED_MODEL)
    # The record is what the label's token certifies, hash for hash: it is given as stored, not retouched.
    assert one["record"]["record"]["product"]["model"] == STORED_MODEL


# In a real browser: the characters of the certificate number (after the name in the widget) and of the model
# (after the holder in a catalogue card) must run left to right, whatever the stored name holds. Chromium lays out
# the HTML the registry rendered; each character's box is measured with a DOM Range.
_POSITIONS = """(element, wanted) => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(wanted);
    if (at < 0) continue;
    const xs = [];
    for (let i = at; i < at + wanted.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      xs.push(range.getBoundingClientRect().left);
    }
    return xs;
  }
  return null;
}"""


@pytest.fixture(scope="module")
def chromium():  # type: ignore[no-untyped-def]
    from tests.disclosure.test_browser import _playwright, launch_chromium

    with _playwright()() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def _left_to_right(chromium, html_page: str, selector: str, wanted: str) -> list[float]:  # type: ignore[no-untyped-def]
    page = chromium.new_page()
    try:
        page.set_content(html_page, wait_until="domcontentloaded")
        xs = page.locator(selector).first.evaluate(_POSITIONS, wanted)
    finally:
        page.close()
    assert xs is not None, f"{wanted!r} not found in {selector}"
    return xs


def test_in_a_browser_the_stored_override_reverses_neither_the_certificate_number_nor_the_model(
    client, chromium, label
):
    widget = client.get(f"/embed/{label.public_id}").get_data(as_text=True)
    xs = _left_to_right(chromium, widget, ".embed-meta:last-child", label.certificate_number)
    assert xs == sorted(xs) and len(set(xs)) == len(xs), xs
    card = client.get(f"/catalogue?q={label.certificate_number}").get_data(as_text=True)
    xs = _left_to_right(chromium, card, ".label-card .muted", "TB-")  # the model's start, after the holder
    assert xs == sorted(xs) and len(set(xs)) == len(xs), xs
