from __future__ import annotations


def test_scheme_list_is_public_and_lists_all_ten(client):
    page = client.get("/schemes/")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('class="card"') == 10


def test_scheme_detail_shows_everything_the_scheme_states(client):
    page = client.get("/schemes/aluminium").get_data(as_text=True)
    for expected in [
        "GB/T 24067-2024",
        "Cradle to gate",
        "Raw material acquisition",
        "required",
        "outside the boundary",
        "Document review",
        "Site inspection",
        "Footprint verification",
        "36 months",
        "every 12 months",
        "Grade 1",
        "≤ 4500",
        "&gt; 16000",
        "Low-carbon label",
        "Set by the registry",
        "SHA-256",
    ]:
        assert expected in page, expected


def test_scheme_detail_in_chinese(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = client.get("/schemes/cement").get_data(as_text=True)
    assert "从摇篮到大门" in page and "水泥" in page


def test_unknown_scheme_or_version_is_404(client):
    assert client.get("/schemes/no-such-scheme").status_code == 404
    assert client.get("/schemes/cement/9.9.9").status_code == 404


def test_every_scheme_page_renders_in_both_languages(app):
    from registry.schemes.loader import load_scheme_dir
    from tests.conftest import SCHEMES_DIR

    files, _ = load_scheme_dir(SCHEMES_DIR)
    for language in ("zh-CN", "en"):
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        for scheme_file in files:
            response = client.get(f"/schemes/{scheme_file.code}")
            assert response.status_code == 200, (language, scheme_file.code)
