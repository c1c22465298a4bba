"""What platforms embed: the iframe widget (the one page any site may frame), the script, the developers' page."""

from __future__ import annotations

from sqlalchemy import select

from registry.labels.models import Label, LabelStatus


def test_the_widget_may_be_framed_by_any_site_and_shows_the_current_status(client, session):
    label = session.scalars(select(Label).order_by(Label.id)).first()
    response = client.get(f"/embed/{label.public_id}")
    assert response.status_code == 200
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    assert "max-age=60" in response.headers["Cache-Control"]
    page = response.get_data(as_text=True)
    assert label.certificate_number in page and "Valid" in page and 'target="_blank"' in page
    label.status = LabelStatus.SUSPENDED
    session.flush()
    suspended = client.get(f"/embed/{label.public_id}").get_data(as_text=True)
    assert "Suspended" in suspended
    assert "Valid" not in suspended  # the status it showed is gone, not merely joined by the new one
    badge = client.get(f"/badge/{label.public_id}.svg").get_data(as_text=True)
    assert "已暂停 Suspended" in badge and "Valid" not in badge and "有效" not in badge
    assert client.get("/embed/AAAAAAAAAAAAAAAA").status_code == 404


def test_every_other_page_still_refuses_to_be_framed(client, session):
    label = session.scalars(select(Label)).first()
    for url in ("/", f"/l/{label.public_id}", "/catalogue", "/developers"):
        response = client.get(url)
        assert response.headers["X-Frame-Options"] == "DENY", url
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], url


def test_the_developers_page_has_copy_paste_code_for_each_embed(client, session):
    label = session.scalars(select(Label).order_by(Label.id)).first()
    page = client.get("/developers").get_data(as_text=True)
    for snippet in (
        f"/badge/{label.public_id}.svg",
        f"/embed/{label.public_id}",
        "/static/js/embed.js",
        "/api/v1/labels",
        "/schemas/label-v1.json",
        "pact.json",
    ):
        assert snippet in page, snippet
    assert client.get("/static/js/embed.js").status_code == 200
