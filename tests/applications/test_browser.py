"""The staff's and the applicant's screens in a real browser (Debian's chromium, driven by Playwright), at a desktop
and a phone's width: every choice is a fieldset whose options sit on one line with their labels and show no list
bullet; the verifier's page goes in work order; the applicant answers a finding with an evidence file; a second
draft is refused with a link to the first; the appeal decider reads the grounds first. At 390 px no page scrolls
sideways. Screenshots are kept in ``build/test-artifacts/``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import PROJECT_ROOT
from registry.accounts.models import User
from registry.applications.models import Appeal, Application, ApplicationStatus
from registry.demo.services import DEMO_PASSWORD
from registry.labels.models import Label
from tests.disclosure.test_browser import ARTIFACTS, PHONE, _playwright, launch_chromium, serve_registry

S = ApplicationStatus
DESKTOP = {"width": 1280, "height": 900}
SIZES = {"desktop": DESKTOP, "phone": PHONE}


def _demo(session: Session, status: ApplicationStatus, email: str) -> Application:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None
    found = session.scalar(
        select(Application).where(Application.applicant_id == user.organisation_id, Application.status == status)
    )
    assert found is not None, status
    return found


def _sign_in(browser, base: str, email: str, viewport: dict[str, int]):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="en", extra_http_headers={"Accept-Language": "en"}, viewport=viewport)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard/?$"))
    return page


def _no_sideways_scroll(page, viewport: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], page.url


def _choices_on_one_line(page, group: str) -> int:  # type: ignore[no-untyped-def]
    """Every option of the fieldset ``group``: its control and its label on one line, the label after the
    control, no list bullet. Returns how many options there are."""
    fieldset = page.locator(group)
    assert fieldset.locator("legend").count() == 1
    assert fieldset.locator("li, ul").count() == 0
    options = fieldset.locator(".choice")
    for index in range(options.count()):
        option = options.nth(index)
        control = option.locator("input").bounding_box()
        label = option.locator("label").bounding_box()
        assert control is not None and label is not None
        # Side by side: the label starts right of the control, and its first line is level with the control.
        assert label["x"] >= control["x"] + control["width"] - 1
        assert label["y"] <= control["y"] + control["height"] and control["y"] <= label["y"] + label["height"]
        assert option.evaluate("node => getComputedStyle(node).display") != "list-item"
    return options.count()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_staff_and_applicant_journeys_in_a_browser(tmp_path: Path, size: str) -> None:
    sync_playwright = _playwright()
    viewport = SIZES[size]
    evidence = tmp_path / "supplier-epd.pdf"
    evidence.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with serve_registry(tmp_path) as (base, engine), sync_playwright() as playwright:
        with Session(engine) as session:
            planned = _demo(session, S.EVALUATION_PLANNED, "applicant.steel@example.com").id
            under_evaluation = _demo(session, S.UNDER_EVALUATION, "applicant.pv@example.com").id
            findings_open = _demo(session, S.FINDINGS_OPEN, "applicant@example.com").id
            draft = _demo(session, S.DRAFT, "applicant@example.com")
            draft_id, draft_product, draft_reference = draft.id, draft.product_id, draft.reference
            appealed = _demo(session, S.APPEALED, "applicant.steel@example.com").id
            grounds = session.get(Appeal, appealed).grounds  # type: ignore[union-attr]
        browser = launch_chromium(playwright)

        # The verifier: the declaration is a radio group, each option on one line; signing it opens the file.
        page = _sign_in(browser, base, "verifier@example.com", viewport)
        page.goto(f"{base}/applications/{planned}")
        assert _choices_on_one_line(page, "fieldset#declaration-conflict") == 2
        _no_sideways_scroll(page, viewport)
        _shot(page, f"uxstaff-declaration-{size}")
        page.get_by_label("I declare that I have no relationship", exact=False).check()
        page.click("text=Sign the declaration")
        page.wait_for_selector("#progress")
        assert page.locator("#lines").count() == 1  # the confidential file opens once signed
        # Its evaluation page in work order, with what is done and what is left, and no recommendation form yet.
        page.goto(f"{base}/applications/{under_evaluation}")
        tops = [page.locator(f"#{anchor}").bounding_box()["y"] for anchor in ("progress", "footprint", "evaluation")]
        tops += [page.locator(f"#{anchor}").bounding_box()["y"] for anchor in ("statement", "recommendation")]
        assert tops == sorted(tops)
        assert page.locator("#progress li.left").count() >= 1 and page.locator("#progress li.done").count() >= 1
        assert page.locator("#recommendation").get_by_text("Before you can recommend:").count() == 1
        assert page.locator("input[name=recommend-outcome]").count() == 0
        _no_sideways_scroll(page, viewport)
        _shot(page, f"uxstaff-verifier-file-{size}")
        page.context.close()

        # The applicant answers a finding with an evidence file, and is told it was saved.
        page = _sign_in(browser, base, "applicant@example.com", viewport)
        page.goto(f"{base}/applications/{findings_open}")
        form = page.locator("#findings form[enctype='multipart/form-data']").first
        form.locator("textarea").fill("The supplier's EPD is attached.")
        form.locator("input[type=file]").set_input_files(str(evidence))
        form.locator("button[type=submit]").click()
        page.wait_for_selector(".flash-success")
        assert "Your answer is saved" in page.locator(".flash-success").inner_text()
        assert page.locator("#findings a", has_text="supplier-epd.pdf").count() == 1
        _no_sideways_scroll(page, viewport)
        _shot(page, f"uxstaff-finding-answer-{size}")
        # The footprint form: the scheme's requirements beside the fields, "required" inside its own label.
        page.goto(f"{base}/applications/{draft_id}/footprint")
        assert page.locator("aside.requirements").get_by_text("primary").count() >= 1
        tagged = page.locator("label:has(.required-tag)")
        assert tagged.count() >= 1
        for index in range(tagged.count()):
            label = tagged.nth(index)
            field = page.locator(f"#{label.get_attribute('for')}").bounding_box()
            box = label.bounding_box()
            assert box is not None and field is not None and box["y"] < field["y"]  # the tag sits above its field
        _no_sideways_scroll(page, viewport)
        _shot(page, f"uxstaff-footprint-{size}")
        # A second draft for the same product, scheme and body is refused with a link to the first.
        page.goto(f"{base}/applications/new")
        page.select_option("#product_id", str(draft_product))
        page.click("text=Start the application")
        page.wait_for_selector("text=There is already a draft")
        assert draft_reference in page.content()
        page.click("text=Open the existing draft")
        page.wait_for_url(re.compile(rf".*/applications/{draft_id}$"))
        page.context.close()

        # The appeal decider reads the grounds first and decides in the appeal's own words.
        page = _sign_in(browser, base, "decision2@example.com", viewport)
        page.goto(f"{base}/applications/{appealed}")
        appeal_box = page.locator("#appeal").bounding_box()
        assert appeal_box is not None and appeal_box["y"] < page.locator("#actions").bounding_box()["y"]
        assert grounds in page.locator("#appeal").inner_text()
        assert _choices_on_one_line(page, "fieldset#decision-outcome") == 2
        assert page.get_by_label("Uphold the appeal", exact=False).count() == 1
        assert page.get_by_label("Dismiss the appeal", exact=False).count() == 1
        _no_sideways_scroll(page, viewport)
        _shot(page, f"uxstaff-appeal-{size}")
        browser.close()


AXE = PROJECT_ROOT / "build" / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
    const result = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}});
    return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
        .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}));
}"""


def _axe() -> Path:
    if not AXE.exists():
        if os.environ.get("REGISTRY_STRICT_SYSTEM_DEPS"):
            raise AssertionError(f"{AXE} is missing although CI installs it (make axe)")
        pytest.skip("axe-core is not installed: `make axe` installs it from npm into build/node_modules (needs npm)")
    return AXE


def test_the_staff_file_pages_have_no_serious_accessibility_violations(tmp_path: Path) -> None:
    """axe-core, injected into each page (the check's own script needs the page's CSP set aside), finds no
    serious or critical WCAG 2.1 A/AA violation on the pages a body's staff and the applicant work in."""
    sync_playwright = _playwright()
    axe = _axe()
    with serve_registry(tmp_path) as (base, engine), sync_playwright() as playwright:
        with Session(engine) as session:
            pages = {
                "verifier@example.com": [
                    _demo(session, S.EVALUATION_PLANNED, "applicant.steel@example.com").id,
                    _demo(session, S.UNDER_EVALUATION, "applicant.pv@example.com").id,
                ],
                "applicant@example.com": [
                    _demo(session, S.FINDINGS_OPEN, "applicant@example.com").id,
                    _demo(session, S.DRAFT, "applicant@example.com").id,
                ],
                "decision2@example.com": [_demo(session, S.APPEALED, "applicant.steel@example.com").id],
            }
        browser = launch_chromium(playwright)
        found: dict[str, object] = {}
        for email, ids in pages.items():
            context = browser.new_context(
                locale="en", extra_http_headers={"Accept-Language": "en"}, viewport=DESKTOP, bypass_csp=True
            )
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("#email", email)
            page.fill("#password", DEMO_PASSWORD)
            page.click("form button[type=submit]")
            page.wait_for_url(re.compile(r".*/dashboard/?$"))
            paths = [f"/applications/{i}" for i in ids]
            if email == "applicant@example.com":
                paths += [f"/applications/{ids[1]}/footprint", "/applications/new"]
            for path in paths:
                page.goto(base + path)
                page.add_script_tag(path=str(axe))
                violations = page.evaluate(AXE_RUN)
                if violations:
                    found[f"{email} {path}"] = violations
            context.close()
        browser.close()
    assert not found, json.dumps(found, indent=1)


# Every role's working pages: what each person opens in a day, beyond the file pages above.
ROLE_PAGES = {
    "applicant@example.com": ["/dashboard/", "/applications/", "/products/", "/products/new", "/labels/", "/audit/"],
    "body.admin@example.com": [
        "/dashboard/",
        "/applications/",
        "/labels/",
        "/surveillance/",
        "/complaints/manage",
        "/staff",
        "/applications/relations",
        "/audit/",
    ],
    "verifier@example.com": ["/dashboard/", "/applications/", "/surveillance/", "/notifications/"],
    "decision@example.com": ["/dashboard/", "/applications/", "/labels/"],
    "regulator@example.com": [
        "/dashboard/",
        "/supervision/",
        "/inspections/",
        "/inspections/new",
        "/complaints/manage",
        "/surveillance/",
        "/products/all",
        "/labels/",
        "/audit/",
    ],
    "admin@example.com": ["/dashboard/", "/organisations/", "/organisations/new", "/audit/"],
}


def test_every_roles_working_pages_fit_a_phone_and_have_no_serious_accessibility_violations(tmp_path: Path) -> None:
    """Each role's day, signed in, in both languages: no page scrolls sideways at 390 px, and axe-core finds no
    serious or critical WCAG 2.1 A/AA violation at either size. A label's record page is visited by its holder, its
    body and the regulator (who sees the order form too)."""
    sync_playwright = _playwright()
    axe = _axe()
    with serve_registry(tmp_path) as (base, engine), sync_playwright() as playwright:
        with Session(engine) as session:
            label = session.scalar(select(Label).order_by(Label.id))
            assert label is not None
            record, order = f"/labels/{label.public_id}", f"/supervision/labels/{label.public_id}/order"
        pages = {email: list(paths) for email, paths in ROLE_PAGES.items()}
        pages["applicant@example.com"].append(record)
        pages["body.admin@example.com"].append(record)
        pages["regulator@example.com"] += [record, order]
        browser = launch_chromium(playwright)
        wide: list[str] = []
        found: dict[str, object] = {}
        for language in ("zh-CN", "en"):
            for size, viewport in SIZES.items():
                for email, paths in pages.items():
                    context = browser.new_context(
                        locale=language,
                        extra_http_headers={"Accept-Language": language},
                        viewport=viewport,
                        bypass_csp=True,  # for axe's own script
                    )
                    page = context.new_page()
                    page.goto(f"{base}/login")
                    page.fill("#email", email)
                    page.fill("#password", DEMO_PASSWORD)
                    page.click("form button[type=submit]")
                    page.wait_for_url(re.compile(r".*/dashboard/?$"))
                    for path in paths:
                        response = page.goto(base + path)
                        assert response is not None and response.status == 200, f"{email} {path}"
                        if page.evaluate("document.documentElement.scrollWidth") > viewport["width"]:
                            wide.append(f"{language} {size} {email} {path}")
                        page.add_script_tag(path=str(axe))
                        violations = page.evaluate(AXE_RUN)
                        if violations:
                            found[f"{language} {size} {email} {path}"] = violations
                    context.close()
        browser.close()
    assert not wide, wide
    assert not found, json.dumps(found, indent=1)
