from __future__ import annotations

import pytest


@pytest.fixture
def browser(app):
    """A client that sends what a browser set to Chinese sends."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9,en;q=0.8"
    return client


def test_home_page_is_in_chinese(browser):
    page = browser.get("/").get_data(as_text=True)
    assert 'lang="zh-CN"' in page
    assert "碳足迹" in page
    assert "Register your enterprise" not in page


def test_home_page_without_accept_language_is_chinese(app):
    page = app.test_client().get("/").get_data(as_text=True)
    assert 'lang="zh-CN"' in page and "认证方案" in page


def test_language_switch_to_english_sticks(browser):
    response = browser.get("/language/en?next=/schemes/")
    assert response.status_code == 302 and response.headers["Location"] == "/schemes/"
    page = browser.get("/").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Register your enterprise" in page
    back = browser.get("/language/zh_CN?next=/")
    assert back.status_code == 302
    assert "碳足迹" in browser.get("/").get_data(as_text=True)


def test_english_browser_gets_english(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil"])
def test_language_switch_never_redirects_off_site(client, target):
    response = client.get("/language/en", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_unknown_language_is_ignored(client):
    response = client.get("/language/xx?next=/")
    assert "lang=" not in response.headers.get("Set-Cookie", "")


def test_health_check(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_home_page_lists_every_scheme_category(client):
    page = client.get("/").get_data(as_text=True)
    for name in ["Lithium", "Cement", "Steel", "Tyre"]:
        assert name.lower() in page.lower()
