"""The render cache of public pages (registry/disclosure/cache.py): an anonymous reader's page is kept, a committed
change to a label renews every kept page at once (in every worker sharing the cache), a kept page is never sent
with more than what is left of its minute, and nothing personal is ever kept."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from registry.disclosure import cache as page_cache
from registry.labels.models import Label, LabelStatus
from tests.conftest import english, login_as, make_test_app

SUSPENDED = "This label is suspended"


def _max_age(response) -> int:  # type: ignore[no-untyped-def]
    return int(re.search(r"max-age=(\d+)", response.headers["Cache-Control"]).group(1))


@pytest.fixture
def label(session):  # type: ignore[no-untyped-def]
    return session.scalars(
        select(Label).where(Label.status == LabelStatus.VALID, Label.path.like("/01/%")).order_by(Label.id)
    ).first()


def test_a_kept_page_is_served_until_a_change_is_committed_then_renewed_at_once(app, client, session, label):
    url = f"/l/{label.public_id}"
    assert SUSPENDED not in client.get(url).get_data(as_text=True)

    label.status = LabelStatus.SUSPENDED
    session.flush()  # written but not committed: nothing has changed for the public yet
    assert SUSPENDED not in client.get(url).get_data(as_text=True)  # the kept page

    with app.app_context():  # as the regulator's request or command commits
        session.commit()
    for path in (url, label.path):
        page = client.get(path).get_data(as_text=True)
        assert SUSPENDED in page, path


def test_a_status_change_renews_the_kept_statistics_page(app, client, session, label):
    before = client.get("/statistics").get_data(as_text=True)
    label.status = LabelStatus.WITHDRAWN
    with app.app_context():
        session.commit()
    assert client.get("/statistics").get_data(as_text=True) != before


def test_two_workers_sharing_a_file_cache_see_each_others_changes(
    database_url, upload_dir, session_factory, session, label, tmp_path
):
    from registry.database import db

    workers = []
    for _ in range(2):
        worker = make_test_app(
            database_url, upload_dir, CACHE_TYPE="FileSystemCache", CACHE_DIR=str(tmp_path / "cache")
        )
        db.bind_sessions(worker, session_factory)
        workers.append(worker)
    first, second = (english(worker.test_client()) for worker in workers)
    url = f"/l/{label.public_id}"
    assert SUSPENDED not in second.get(url).get_data(as_text=True)
    assert any((tmp_path / "cache").iterdir())  # kept on disk, where both workers look

    label.status = LabelStatus.SUSPENDED
    with workers[0].app_context():  # the change is committed in the first worker
        session.commit()
    assert SUSPENDED in second.get(url).get_data(as_text=True)
    assert SUSPENDED in first.get(url).get_data(as_text=True)


def test_a_kept_page_is_sent_with_what_is_left_of_its_minute(client, label, monkeypatch):
    url = f"/l/{label.public_id}"
    now = [1_800_000_000.0]
    monkeypatch.setattr(page_cache.time, "time", lambda: now[0])
    first = client.get(url)
    assert _max_age(first) == 60
    now[0] += 45
    kept = client.get(url)
    assert _max_age(kept) == 15
    assert kept.get_data() == first.get_data() and kept.headers["ETag"] == first.headers["ETag"]
    same = (
        "Content-Type",
        "Vary",
        "Content-Security-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
    )
    assert [kept.headers.get(name) for name in same] == [first.headers.get(name) for name in same]
    assert kept.headers["Cache-Control"] == "public, max-age=15" and "Set-Cookie" not in kept.headers
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    now[0] += 16  # past its minute: rendered again
    assert _max_age(client.get(url)) == 60


def test_languages_are_kept_apart(client, label):
    url = f"/l/{label.public_id}"
    english_page = client.get(url).get_data(as_text=True)
    chinese_page = client.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'lang="en"' in english_page and 'lang="zh-CN"' in chinese_page
    assert client.get(url).get_data(as_text=True) == english_page


def test_a_signed_in_readers_page_is_never_kept_nor_served_from_the_cache(app, label):
    url = f"/l/{label.public_id}"
    anonymous = english(app.test_client())
    anonymous_page = anonymous.get(url).get_data(as_text=True)  # kept
    staff = login_as(english(app.test_client()), "regulator")
    staff_page = staff.get(url).get_data(as_text=True)
    assert "csrf_token" in staff_page and "csrf_token" not in anonymous_page  # the sign-out form: their own page
    assert "csrf_token" not in anonymous.get(url).get_data(as_text=True)  # and it was not kept for others


def test_a_page_carrying_a_flash_message_is_not_kept(app, label):
    client = english(app.test_client())
    with client.session_transaction() as browser_session:
        browser_session["_flashes"] = [("message", "FLASH-MARKER for one reader")]
    url = f"/l/{label.public_id}"
    assert "FLASH-MARKER" in client.get(url).get_data(as_text=True)
    assert "FLASH-MARKER" not in english(app.test_client()).get(url).get_data(as_text=True)


def test_a_lost_generation_renders_pages_again_instead_of_serving_old_ones(app, client, session, label):
    url = f"/l/{label.public_id}"
    client.get(url)
    label.status = LabelStatus.SUSPENDED
    session.flush()
    with app.app_context():
        page_cache.cache.delete(page_cache.GENERATION_KEY)  # evicted by the cache's pruning
    assert SUSPENDED in client.get(url).get_data(as_text=True)


def test_errors_are_not_kept(client, session):
    missing = client.get("/l/nosuchlabel0000000000")
    assert missing.status_code == 404
    assert "no-store" in missing.headers.get("Cache-Control", "")
    assert client.get("/catalogue?sort=sideways").status_code == 400
    assert "no-store" in client.get("/catalogue?sort=sideways").headers["Cache-Control"]


def test_switched_off_every_page_is_rendered_afresh(database_url, upload_dir, session_factory, session, label):
    from registry.database import db

    app = make_test_app(database_url, upload_dir, PAGE_CACHE=False)
    db.bind_sessions(app, session_factory)
    client = english(app.test_client())
    url = f"/l/{label.public_id}"
    client.get(url)
    label.status = LabelStatus.SUSPENDED
    session.flush()
    assert SUSPENDED in client.get(url).get_data(as_text=True)


def test_the_statistics_csv_is_kept_with_its_own_headers(app, client, session, label):
    first = client.get("/statistics.csv")
    label.status = LabelStatus.WITHDRAWN
    session.flush()  # not committed: the kept CSV is served
    kept = client.get("/statistics.csv")
    assert kept.get_data() == first.get_data()
    for name in ("Content-Type", "Content-Disposition", "Access-Control-Allow-Origin", "ETag"):
        assert kept.headers[name] == first.headers[name], name
    assert kept.headers["Content-Type"].startswith("text/csv") and "attachment" in kept.headers["Content-Disposition"]
    with app.app_context():
        session.commit()
    assert client.get("/statistics.csv").get_data() != first.get_data()  # one valid label fewer
