from __future__ import annotations

from tests.conftest import login_as


def test_home_page_is_chinese_by_default(client):
    page = client.get("/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'lang="zh-CN"' in text


def test_language_switch_sets_english(client):
    response = client.get("/language/en?next=/")
    assert response.status_code == 302
    page = client.get("/")
    assert 'lang="en"' in page.get_data(as_text=True)
    assert "Carbon Footprint Label Registry" in page.get_data(as_text=True)
