"""The catalogue (碳足迹产品目录库), comparison, and the public pages of enterprises and certification bodies."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from registry.labels.models import Label, LabelStatus


@pytest.fixture
def labels(session):  # type: ignore[no-untyped-def]
    return list(session.scalars(select(Label).order_by(Label.id)))


def _found(page: str) -> list[str]:
    return re.findall(r'class="label-card-name" href="/l/([^"]+)"', page)


def test_the_catalogue_lists_every_label_newest_first(client, labels):
    page = client.get("/catalogue").get_data(as_text=True)
    assert _found(page) == [label.public_id for label in reversed(labels)]


def test_search_and_filters_live_in_the_url(client, labels):
    label = labels[0]
    url = f"/catalogue?q={label.product.name_en.split()[0]}&scheme={label.scheme_version.code}&status=valid&sort=footprint"
    page = client.get(url).get_data(as_text=True)
    assert _found(page) == [label.public_id]
    assert f'value="{label.product.name_en.split()[0]}"' in page  # the form shows the search it ran
    assert f'<option value="{label.scheme_version.code}" selected>' in page
    assert _found(client.get(f"/catalogue?q={label.certificate_number}").get_data(as_text=True)) == [label.public_id]
    assert "No label matches this search." in client.get("/catalogue?q=zzzz-nothing").get_data(as_text=True)


def test_pagination_follows_next_links_and_can_be_shared(client, session, labels, monkeypatch):
    from registry.disclosure.views import catalogue

    monkeypatch.setattr(catalogue, "PAGE_SIZE", 1)  # one label a page, so the demo's labels take several pages
    seen: list[str] = []
    pages = 0
    url = "/catalogue?sort=footprint"
    while url:
        pages += 1
        page = client.get(url).get_data(as_text=True)
        seen += _found(page)
        match = re.search(r'<a rel="next" href="([^"]+)"', page)
        url = match.group(1).replace("&amp;", "&") if match else None
        if url:
            assert parse_qs(urlsplit(url).query)["sort"] == ["footprint"]  # the filters ride along
    assert pages == len(labels)
    by_footprint = [label.public_id for label in sorted(labels, key=lambda label: (label.footprint, label.id))]
    assert seen == by_footprint  # every label once, in footprint order across pages


def test_a_bad_filter_is_explained_not_a_500(client):
    response = client.get("/catalogue?sort=cheapest")
    assert response.status_code == 400
    assert "This search address has a value for “Sort” the catalogue does not know" in response.get_data(as_text=True)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"  # the reader's words, not the URL's codes (issue 18)
    for query, name in (("sort=cheapest", "排序"), ("status=lost", "状态"), ("region=Shandong", "地区")):
        page = client.get(f"/catalogue?{query}").get_data(as_text=True)
        assert (
            f"该搜索网址中“{name}”的取值无法识别" in page and "must be" not in page and "valid, suspended" not in page
        )


@pytest.mark.parametrize("sort", ["newest", "footprint"])
@pytest.mark.parametrize(
    "cursor", ["W3RydWVd", "WzEwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMF0", "WyJOYU4iLDFd", "MWU0MA"]
)
def test_a_crafted_paging_link_says_to_start_again_from_the_first_page(app, client, sort, cursor):
    response = client.get(f"/catalogue?sort={sort}&after={cursor}")  # [true], [10**30], ["NaN",1], 1e40
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The paging link is broken" in page and f'href="/catalogue?sort={sort}"' in page  # the first page
    chinese = app.test_client()
    chinese.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    assert "第一页" in chinese.get(f"/catalogue?sort={sort}&after={cursor}").get_data(as_text=True)


def test_comparing_products_of_one_scheme(client, session, labels):
    first, second = labels[0], labels[1]
    second.scheme_version_id = first.scheme_version_id  # same scheme, as the compare page requires
    session.flush()
    page = client.get(f"/compare?id={first.public_id}&id={second.public_id}").get_data(as_text=True)
    for label in (first, second):
        assert label.certificate_number in page and f"{label.footprint.normalize():f}" in page
    assert "Raw material acquisition" in page


def test_comparison_refuses_mixed_schemes_and_too_many(client, labels):
    mixed = [label for label in labels if label.scheme_version_id != labels[0].scheme_version_id][:1] + labels[:1]
    response = client.get("/compare?" + "&".join(f"id={label.public_id}" for label in mixed))
    assert response.status_code == 400 and "same scheme" in response.get_data(as_text=True)
    too_many = client.get("/compare?" + "&".join(f"id=X{i:016d}" for i in range(5)))
    assert too_many.status_code == 400 and "at most four" in too_many.get_data(as_text=True)
    assert client.get("/compare").status_code == 400


def test_enterprise_and_body_pages(client, session, labels):
    label = labels[0]
    page = client.get(f"/enterprises/{label.holder.uscc}").get_data(as_text=True)
    assert label.holder.name_en in page and label.public_id in page
    label.status = LabelStatus.WITHDRAWN
    session.flush()
    body_page = client.get(f"/bodies/{label.body.body_code.lower()}").get_data(as_text=True)
    issued = session.scalars(select(Label).where(Label.body_id == label.body_id)).all()
    assert re.search(rf"Labels issued</dt><dd>{len(issued)}</dd>", body_page)
    assert re.search(r"Withdrawn</dt><dd>1</dd>", body_page)
    assert client.get("/enterprises/000000000000000000").status_code == 404
    assert client.get("/bodies/NOPE").status_code == 404


def test_the_catalogue_reads_in_chinese(app, labels):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = client.get("/catalogue").get_data(as_text=True)
    assert "碳足迹产品目录库" in page and labels[0].product.name_zh in page
