"""Issue 18's public pages in Debian's chromium: nothing scrolls sideways on a 390 px phone, and the in-page
verification follows the fragment. Fixtures and helpers are test_browser's."""

from __future__ import annotations

import pytest

from registry import PROJECT_ROOT
from tests.disclosure.test_browser import PHONE, _phone, _scanned, _shot, browser, server  # noqa: F401  (fixtures)

PUBLIC_PATHS = [
    "/",
    "/catalogue",
    "/catalogue?q=battery",
    "/schemes/",
    "/schemes/li-battery",
    "/developers",
    "/statistics",
    "/notices",
    "/dishonest",
    "/spot-checks",
    "/complaints",
]


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_no_public_page_scrolls_sideways_on_a_phone(server, browser, language):  # noqa: F811
    base, labels = server
    paths = [*PUBLIC_PATHS, f"/l/{labels[0].public_id}", f"/bodies/{labels[0].body.body_code}"]
    paths.append(f"/enterprises/{labels[0].holder.uscc}")
    paths.append(f"/compare?id={labels[0].public_id}&id={labels[-1].public_id}")
    page = _phone(browser, language)
    wide = {}
    for path in paths:
        response = page.goto(base + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[path] = width
            _shot(page, "wide-" + path.strip("/").replace("/", "-").replace("?", "-") + "-" + language)
    page.context.close()
    assert wide == {}


def test_the_check_reruns_when_the_fragment_changes_and_names_garbage(server, browser):  # noqa: F811
    base, labels = server
    label = next(item for item in labels if item.path.startswith("/01/"))
    page = _phone(browser, "en")
    page.goto(f"{base}{label.path}")
    check = page.locator("#token-check")
    assert check.is_hidden()  # no fragment: nothing to say
    page.evaluate(f"location.hash = 'L1.{label.token}'")  # a code scanned into the open tab
    page.locator("#token-check.ok").wait_for(timeout=10_000)
    assert "Signature verified" in check.inner_text()
    page.evaluate("location.hash = 'utm_source=chat'")  # garbage after the "#"
    page.locator("#token-check.warning").wait_for(timeout=10_000)
    assert "not a label code" in check.inner_text() and check.get_attribute("role") == "alert"
    page.evaluate(f"location.hash = 'L1.{label.token}'")  # and back: verified again
    page.locator("#token-check.ok").wait_for(timeout=10_000)
    page.evaluate("location.hash = ''")
    check.wait_for(state="hidden")
    page.locator("a.skip").focus()
    page.keyboard.press("Enter")  # the skip link's #main is navigation, not a token
    assert page.url.endswith("#main") and check.is_hidden()
    page.context.close()


AXE = PROJECT_ROOT / "build" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_axe_finds_no_serious_accessibility_violation_on_the_public_pages(server, browser, language):  # noqa: F811
    """axe-core (``make axe`` installs it from npm into build/node_modules; ``make test`` runs that first) injected
    into every public page, at phone and desktop sizes: no serious or critical violation."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `make axe` (needs npm)")
    base, labels = server
    paths = [*PUBLIC_PATHS, f"/l/{labels[0].public_id}", f"/bodies/{labels[0].body.body_code}"]
    paths += [f"/enterprises/{labels[0].holder.uscc}", f"/compare?id={labels[0].public_id}&id={labels[-1].public_id}"]
    found = {}
    for viewport in (PHONE, {"width": 1280, "height": 900}):
        # The pages' Content-Security-Policy allows no inline script: the test's own injection bypasses it.
        context = browser.new_context(
            viewport=viewport, locale=language, extra_http_headers={"Accept-Language": language}, bypass_csp=True
        )
        page = context.new_page()
        for path in paths:
            page.goto(base + path)
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            for violation in result["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    targets = [node["target"] for node in violation["nodes"]][:3]
                    found.setdefault(path, []).append((violation["id"], viewport["width"], targets))
        context.close()
    assert found == {}
