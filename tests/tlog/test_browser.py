"""The label page's transparency-log check in Debian's chromium: the page fetches the checkpoint, the entry and its
inclusion proof and checks them in its script; an entry altered in the database is caught."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from registry.labels.models import Label
from registry.tlog import services
from tests.disclosure.test_browser import _playwright, launch_chromium, serve_registry


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    sync_playwright = _playwright()
    with sync_playwright() as playwright:
        instance = launch_chromium(playwright, "--disable-background-networking", "--no-first-run")
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object, Label]]:
    with serve_registry(tmp_path_factory.mktemp("tlog-browser")) as (base, engine):
        with Session(engine) as session:
            services.checkpoint(session)
            session.commit()
            label = session.scalars(select(Label).order_by(Label.id)).first()
            assert label is not None
            session.expunge_all()
        yield base, engine, label


def _page(browser, language: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale=language, extra_http_headers={"Accept-Language": language})
    return context.new_page()


def test_the_label_page_checks_its_inclusion_proof_against_the_checkpoint(server, browser):
    base, engine, label = server
    with Session(engine) as session:
        index = services.label_indexes(session, label.id)[-1]
    page = _page(browser, "en")
    page.goto(f"{base}/l/{label.public_id}")
    assert f"Recorded in the transparency log at entry {index}" in page.locator("#tlog").inner_text()
    page.locator("#tlog-check.ok").wait_for(timeout=10_000)
    assert f"entry {index} is in the transparency log" in page.locator("#tlog-check").inner_text()
    page.context.close()

    page = _page(browser, "zh-CN")
    page.goto(f"{base}/l/{label.public_id}")
    page.locator("#tlog-check.ok").wait_for(timeout=10_000)
    assert "透明日志" in page.locator("#tlog").inner_text()
    page.context.close()


def test_an_entry_altered_in_the_database_fails_the_page_check(server, browser):
    base, engine, label = server
    with Session(engine) as session:
        index = services.label_indexes(session, label.id)[-1]
        session.execute(text("DROP TRIGGER tlog_entries_no_update"))
        # The same label, another status: what a silent rewrite would look like.
        entry = bytes(session.scalar(text(f"SELECT entry FROM tlog_entries WHERE id = {index}")))
        forged = entry.replace(b"valid", b"vaLid", 1)
        assert forged != entry
        session.execute(text("UPDATE tlog_entries SET entry = :e WHERE id = :i"), {"e": forged, "i": index})
        session.commit()
    page = _page(browser, "en")
    page.goto(f"{base}/l/{label.public_id}")
    page.locator("#tlog-check.bad").wait_for(timeout=10_000)
    assert "does not check out" in page.locator("#tlog-check").inner_text()
    page.context.close()
