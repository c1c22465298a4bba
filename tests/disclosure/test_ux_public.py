"""Issue 18's public pages and words, read as a Chinese reader reads them (the test client asks for Chinese):
links between labels, holders and bodies; one status vocabulary; named audit codes; times in China Standard
Time; the grade scale and a percentile that leaves the product itself out; clear 404s."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from registry import PROJECT_ROOT
from registry.audit.models import AuditEvent
from registry.audit.names import event_name, role_name, subject_name
from registry.dates import china_date, china_time
from registry.disclosure import services
from registry.labels.models import Label
from registry.svg import contrast_ratio
from tests.conftest import login_as


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    """A Chinese reader (the suite's default client reads English)."""
    chinese = app.test_client()
    chinese.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    return chinese


@pytest.fixture
def labels(session):  # type: ignore[no-untyped-def]
    return list(session.scalars(select(Label).order_by(Label.id)))


def test_the_label_page_links_holder_and_body(client, labels):
    label = labels[0]
    page = client.get(f"/l/{label.public_id}").get_data(as_text=True)
    assert f'href="/enterprises/{label.holder.uscc}"' in page
    assert f'href="/bodies/{label.body.body_code}"' in page
    assert client.get(f"/enterprises/{label.holder.uscc}").status_code == 200
    assert client.get(f"/bodies/{label.body.body_code}").status_code == 200


def test_catalogue_and_comparison_link_holders_and_bodies(client, session, labels):
    labels[1].scheme_version_id = labels[0].scheme_version_id  # comparable: one scheme
    session.flush()
    catalogue = client.get("/catalogue").get_data(as_text=True)
    comparison = client.get(f"/compare?id={labels[0].public_id}&id={labels[1].public_id}").get_data(as_text=True)
    listed = [label for label in labels if f'href="/l/{label.public_id}"' in catalogue]
    assert listed
    for label in listed:
        assert f'href="/enterprises/{label.holder.uscc}"' in catalogue
        assert f'href="/bodies/{label.body.body_code}"' in catalogue
    for label in labels[:2]:
        assert f'href="/enterprises/{label.holder.uscc}"' in comparison
        assert f'href="/bodies/{label.body.body_code}"' in comparison


def test_the_holders_label_record_links_its_public_page_and_qr_address(client, labels):
    label = labels[0]
    login_as(client, "applicant")
    page = client.get(f"/labels/{label.public_id}").get_data(as_text=True)
    assert f'href="/l/{label.public_id}"' in page
    qr_url = re.search(r'<a href="(https://[^"]+#L1\.[^"]+)"><code class="wrap">', page)
    assert qr_url is not None and label.path in qr_url.group(1)
    assert "供验证软件读取的状态（JSON）" in page
    listing = client.get("/labels/").get_data(as_text=True)
    assert "将随签名标识功能一同上线" not in listing and "任何人可打开的公开页面" in listing


def test_one_status_vocabulary_on_the_body_page(client, labels):
    page = client.get(f"/bodies/{labels[0].body.body_code}").get_data(as_text=True)
    assert "已撤销" in page and "已撤回" not in page


def test_a_404_names_what_was_not_found(client):
    enterprise = client.get("/enterprises/91110000000000000X")
    assert enterprise.status_code == 404
    text = enterprise.get_data(as_text=True)
    assert "没有该企业" in text and "统一社会信用代码" in text and "没有找到" not in text.split("<main")[1][:200]
    body = client.get("/bodies/NOSUCH")
    assert body.status_code == 404 and "没有该认证机构" in body.get_data(as_text=True)
    label = client.get("/l/nosuchlabel")
    assert label.status_code == 404 and "没有该企业" not in label.get_data(as_text=True)


def test_a_gtin_with_a_wrong_check_digit_says_so(client):
    page = client.get("/01/06901234567891")  # the check digit of 0690123456789 is 2
    assert page.status_code == 404
    text = page.get_data(as_text=True)
    assert "校验位" in text and "2" in text
    looked_up = client.get("/lookup?q=6901234567891")
    assert looked_up.status_code == 404 and "校验位" in looked_up.get_data(as_text=True)


def test_the_scheme_page_names_what_the_registry_set(client):
    page = client.get("/schemes/li-battery").get_data(as_text=True)
    line = re.search(r"由登记系统设定：([^<]*)<", page)
    assert line is not None
    assert "declared_unit" not in line.group(1) and "data.min_primary_share" not in line.group(1)
    assert "声明单位" in line.group(1) and "初级数据的最低占比" in line.group(1)


def test_the_home_page_says_which_enforcement_tools_exist_with_links(client):
    page = client.get("/").get_data(as_text=True)
    for path in ("/notices", "/dishonest", "/spot-checks"):
        assert f'href="{path}"' in page
    assert "责令暂停或撤销虚假标识" in page


def test_readme_no_longer_promises_what_exists():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "public label pages come next" not in readme and "What exists" in readme


def test_document_kinds_and_severities_are_chinese_in_the_forms(app):
    from registry.applications.forms import DocumentForm, FindingForm

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        kinds = [str(name) for _value, name in DocumentForm.kind.kwargs["choices"]]
        severities = [str(name) for _value, name in FindingForm.severity.kwargs["choices"]]
    assert "碳足迹研究报告" in kinds and "严重不符合项" in severities


def test_the_audit_trail_names_its_codes_in_chinese(client, session):
    login_as(client, "regulator")
    page = client.get("/audit/").get_data(as_text=True)
    assert "已签发标识" in page  # label:issue
    assert re.search(r'<span class="muted">决定人员|<span class="muted">[^<]*?(核查员|认证机构管理员|申请人)', page)
    assert '<span class="muted">decision_maker</span>' not in page
    # Every code the demo journey wrote has a name, and every role and subject too.
    for event in session.scalars(select(AuditEvent)):
        assert event_name(event.tag) != event.tag, event.tag
        if event.actor_role:
            assert role_name(event.actor_role) != event.actor_role
        if event.subject_type:
            assert subject_name(event.subject_type) != event.subject_type, event.subject_type


def test_state_machine_tags_are_named_from_their_actions(app):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert event_name("label:suspend") == "标识: 暂停"
        assert event_name("application:grant") == "申请: 批准"
        assert event_name("nothing:known") == "nothing:known"


def test_times_are_shown_in_china_standard_time_and_kept_in_utc():
    evening = datetime(2026, 12, 3, 20, 15, tzinfo=UTC)
    assert china_time(evening) == "2026-12-04 04:15 (UTC+8)"
    assert china_date(evening) == "2026-12-04"
    assert china_time(evening.replace(tzinfo=None)) == "2026-12-04 04:15 (UTC+8)"  # the database's naive UTC


def test_the_audit_trail_shows_china_time(client, session):
    login_as(client, "regulator")
    page = client.get("/audit/").get_data(as_text=True)
    latest = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert latest is not None
    assert f'<time datetime="{latest.occurred_at.isoformat()}">{china_time(latest.occurred_at)}</time>' in page
    assert " UTC</time>" not in page


def test_the_label_page_shows_the_whole_grade_scale_with_this_products_place(client, labels):
    label = labels[0]
    page = client.get(f"/l/{label.public_id}").get_data(as_text=True)
    scale = re.search(r'<ol class="grade-scale">(.*?)</ol>', page, re.DOTALL)
    assert scale is not None
    steps = re.findall(r'<li class="grade-step[^"]*"[^>]*>(.*?)</li>', scale.group(1), re.DOTALL)
    grades = label.scheme_version.spec.grades
    assert len(steps) == len(grades)
    here = re.findall(
        r'<li class="grade-step grade-step-here" aria-current="true">(.*?)</li>', scale.group(1), re.DOTALL
    )
    assert len(here) == 1 and label.grade().name_zh in here[0] and "本产品" in here[0]  # words, not colour alone
    first, last = grades[0], grades[-1]
    assert f"不高于 {first.max_kg_co2e.normalize():f}" in steps[0]
    assert last.max_kg_co2e is None and "高于 " in steps[-1]


def test_the_percentile_leaves_the_product_itself_out(client, session, labels):
    a, b, c = labels[:3]
    for label, value in ((a, "10"), (b, "20"), (c, "30")):
        label.scheme_version_id = a.scheme_version_id
        label.footprint = Decimal(value)
    session.flush()
    session.expire_all()
    position = services.category(session, a)
    assert (position.total, position.percentile) == (3, 100)  # both others are higher
    assert services.category(session, b).percentile == 50
    assert services.category(session, c).percentile == 0
    page = client.get(f"/l/{a.public_id}").get_data(as_text=True)
    assert "其他 2 个已获标识产品中的 100%" in page


def test_the_unread_count_is_legible_on_the_green_header():
    css = (PROJECT_ROOT / "static" / "css" / "registry.css").read_text()
    rule = re.search(r"\.site-header \.count \{([^}]*)\}", css)
    assert rule is not None
    background = re.search(r"background: (#[0-9a-fA-F]{6})", rule.group(1))
    colour = re.search(r"(?<!-)color: (#[0-9a-fA-F]{6})", rule.group(1))
    assert background and colour
    assert contrast_ratio(colour.group(1), background.group(1)) >= 4.5


# --- the catalogue (item 10) ------------------------------------------------------------------------------------


def _found(session, q: str) -> list[str]:  # type: ignore[no-untyped-def]
    from registry.disclosure.search import Filters, search

    page, _ = search(session, Filters(q=q), limit=100)
    return [label.public_id for label in page]


def test_traditional_characters_and_synonyms_find_the_label(session, labels):
    by_word = {word: [label for label in labels if word in label.product.name_zh] for word in ("电池", "光伏")}
    assert by_word["电池"] and by_word["光伏"]  # the demo labels a battery and a PV module
    for label in by_word["电池"]:
        for q in ("電池", "电池", "battery", "鋰電池"):
            assert label.public_id in _found(session, q), q
    for label in by_word["光伏"]:
        for q in ("solar", "photovoltaic", "光伏組件"):
            assert label.public_id in _found(session, q), q
    assert not set(_found(session, "solar")) & {label.public_id for label in by_word["电池"]}


def test_rebar_finds_reinforcing_steel_in_either_language(session, labels):
    from registry.labels.searchtext import label_search_text

    label = labels[-1]
    label.product.name_zh = "热轧带肋鋼筋"  # written in traditional characters
    label.product.name_en = "Hot-rolled ribbed bar"
    label.search_text = label_search_text(label.product, label.holder)  # as issuance writes it
    session.flush()
    for q in ("rebar", "钢筋", "鋼筋", "steel"):
        assert label.public_id in _found(session, q), q


def test_the_catalogue_counts_folds_its_filters_and_offers_compare_only_within_one_scheme(client, session, labels):
    page = client.get("/catalogue").get_data(as_text=True)
    total = session.scalar(select(func.count()).select_from(Label))
    assert f"共找到 {total} 个标识。" in page
    assert '<details class="catalogue-more">' in page  # folded: nothing narrows the search
    assert len({label.scheme_version.scheme_id for label in labels}) > 1
    assert 'name="id"' not in page and "只有按同一认证方案认证的产品才能比较" in page
    # Short category names in the filter, not the schemes' full titles.
    assert ">锂电池</option>" in page
    scheme = labels[0].scheme_version.scheme.code
    narrowed = client.get(f"/catalogue?scheme={scheme}").get_data(as_text=True)
    assert '<details class="catalogue-more" open>' in narrowed
    in_scheme = [label for label in labels if label.scheme_version.scheme.code == scheme]
    assert f"共找到 {len(in_scheme)} 个标识。" in narrowed
    if len(in_scheme) > 1:
        assert 'name="id"' in narrowed
