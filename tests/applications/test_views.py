"""The workflow in the browser: every role's pages, a whole certification through the forms, access rules."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from registry.accounts.models import User
from registry.applications.models import Application, ApplicationStatus, Document, Finding
from registry.database import utcnow
from registry.demo.applications import data_period
from registry.labels.models import Label
from registry.organisations.models import Organisation
from registry.products.models import Product
from tests.conftest import csrf_token, english, login_as, sign_in

S = ApplicationStatus


def _demo(session, status: ApplicationStatus, email: str = "applicant@example.com") -> Application:
    user = session.scalar(select(User).where(User.email == email))
    application = session.scalar(
        select(Application).where(Application.applicant_id == user.organisation_id, Application.status == status)
    )
    assert application is not None, status
    return application


def _post(client, url: str, data: dict, *, page: str, **kwargs):
    """Post one of a page's forms the way a browser does: the page's CSRF token rides along."""
    token = csrf_token(client, page)
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


@pytest.mark.parametrize("role", ["applicant", "body_admin", "decision_maker", "regulator"])
@pytest.mark.parametrize("status", [s for s in ApplicationStatus if s is not S.DRAFT])
def test_every_demo_application_page_opens_for_each_party(client, session, role, status):
    application = session.scalar(select(Application).where(Application.status == status).limit(1))
    holder = session.scalar(select(User).where(User.email == "applicant@example.com"))
    login_as(client, role)
    response = client.get(f"/applications/{application.id}")
    visible = role != "applicant" or application.applicant_id == holder.organisation_id
    assert response.status_code == (200 if visible else 404)
    if visible:
        page = response.get_data(as_text=True)
        assert application.reference in page
        assert str(status.label) in page


def test_drafts_stay_with_the_applicant(client, session):
    draft = _demo(session, S.DRAFT)
    login_as(client, "body_admin")
    assert client.get(f"/applications/{draft.id}").status_code == 404
    assert draft.reference not in client.get("/applications/").get_data(as_text=True)


@pytest.mark.parametrize("path", ["", "/footprint"])
def test_another_enterprise_gets_404_for_applications_documents_and_findings(client, session, path):
    application = _demo(session, S.FINDINGS_OPEN)
    document = application.documents[0]
    finding_id = session.scalar(select(func.min(Finding.id)).where(Finding.application_id == application.id))
    sign_in(client, "applicant.pv@example.com")
    assert client.get(f"/applications/{application.id}{path}").status_code == 404
    assert client.get(f"/applications/{application.id}/documents/{document.id}").status_code == 404
    response = _post(
        client,
        f"/applications/{application.id}/findings/{finding_id}/respond",
        {"response-response": "not mine"},
        page="/applications/",
    )
    assert response.status_code == 404
    # The other body's administrator is just as much a stranger.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard/")})
    sign_in(client, "body2.admin@example.com")
    assert client.get(f"/applications/{application.id}").status_code == 404
    assert client.get(f"/applications/{application.id}/documents/{document.id}").status_code == 404


def test_documents_download_as_attachments_only_for_the_file_people(client, session):
    application = _demo(session, S.UNDER_EVALUATION, "applicant.pv@example.com")
    document = next(d for d in application.documents if d.kind.value == "study_report")
    sign_in(client, "applicant.pv@example.com")
    response = client.get(f"/applications/{application.id}/documents/{document.id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.data.startswith(b"%PDF")


def test_a_verifier_sees_the_confidential_file_only_after_declaring(client, session):
    application = _demo(session, S.EVALUATION_PLANNED, "applicant.steel@example.com")
    document = application.documents[0]
    login_as(client, "verifier")
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Conflict-of-interest declaration" in page
    assert "Activity data" not in page
    assert client.get(f"/applications/{application.id}/documents/{document.id}").status_code == 404
    response = _post(
        client,
        f"/applications/{application.id}/declaration",
        {"declaration-conflict": "no"},
        page=f"/applications/{application.id}",
    )
    assert response.status_code == 302
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Activity data" in page
    assert client.get(f"/applications/{application.id}/documents/{document.id}").status_code == 200


def test_a_whole_certification_through_the_forms(client, session, app):
    product = session.scalar(select(Product).where(Product.model == "LN-PT-18V4Ah"))
    body = session.scalar(select(Organisation).where(Organisation.body_code == "HTDEMO"))
    # The demo's open draft for this product would be continued rather than doubled: set it aside first.
    _demo(session, S.DRAFT).status = S.WITHDRAWN
    session.commit()
    login_as(client, "applicant")
    response = _post(
        client, "/applications/new", {"product_id": product.id, "body_id": body.id}, page="/applications/new"
    )
    assert response.status_code == 302
    application_id = int(re.search(r"/applications/(\d+)/footprint", response.headers["Location"]).group(1))
    url = f"/applications/{application_id}"
    start, end = data_period(utcnow().date())  # the last twelve whole months
    footprint = {
        "declared_footprint": "58.7",
        "stage_raw_material_acquisition": "40.2",
        "stage_production": "18.5",
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "primary_share_percent": "62",
    }
    # A bad number is refused with the reason, and what was typed is kept.
    bad = _post(client, f"{url}/footprint", {**footprint, "declared_footprint": "58,7kg"}, page=f"{url}/footprint")
    assert bad.status_code == 400
    assert "Enter a number" in bad.get_data(as_text=True)
    assert 'value="58,7kg"' in bad.get_data(as_text=True)
    assert _post(client, f"{url}/footprint", footprint, page=f"{url}/footprint").status_code == 302
    for stage, qty in (("raw_material_acquisition", "40.2"), ("production", "32.44")):
        line = {
            "line-stage": stage,
            "line-description": "x",
            "line-quantity": qty,
            "line-quantity_unit": "kg" if stage != "production" else "kWh",
            "line-factor_value": "1" if stage != "production" else "570.3",
            "line-factor_unit": "kg" if stage != "production" else "g",
            "line-factor_source": "supplier / MEE 2024",
            "line-data_kind": "primary",
        }
        assert _post(client, f"{url}/lines", line, page=url).status_code == 302
    for kind, name, content in (
        ("study_report", "study.pdf", b"%PDF-1.4\n%%EOF\n"),
        ("inventory", "inv.csv", b"a,b\n1,2\n"),
    ):
        response = _post(
            client,
            f"{url}/documents",
            {"document-kind": kind, "document-file": (io.BytesIO(content), name)},
            page=url,
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, response.get_data(as_text=True)
    assert _post(client, f"{url}/submit", {}, page=url).status_code == 302

    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard/")})
    login_as(client, "body_admin")
    assert (
        _post(client, f"{url}/accept", {"accept-complete": "y", "accept-competent": "y"}, page=url).status_code == 302
    )
    verifier = session.scalar(select(User).where(User.email == "verifier@example.com"))
    assert _post(client, f"{url}/assign", {"verifier_ids": str(verifier.id)}, page=f"{url}/assign").status_code == 302

    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard/")})
    login_as(client, "verifier")
    assert _post(client, f"{url}/declaration", {"declaration-conflict": "no"}, page=url).status_code == 302
    assert _post(client, f"{url}/start", {}, page=url).status_code == 302
    # A site inspection needs its date and place.
    refused = _post(client, f"{url}/checklist/site_inspection", {"checklist-notes": "seen"}, page=url)
    assert refused.status_code == 400 and "date of the site inspection" in refused.get_data(as_text=True)
    yesterday = (utcnow().date() - timedelta(days=1)).isoformat()
    for mode in ("document_review", "site_inspection", "footprint_verification"):
        data = {"checklist-notes": "checked", "checklist-site_date": yesterday, "checklist-site_place": "Jinan plant 3"}
        assert _post(client, f"{url}/checklist/{mode}", data, page=url).status_code == 302
    statement = {
        "statement-assurance": "reasonable",
        "statement-opinion": "unmodified",
        "statement-materiality_percent": "5",
        "statement-summary": "Fairly stated.",
    }
    assert _post(client, f"{url}/statement", statement, page=url).status_code == 302
    assert (
        _post(
            client, f"{url}/recommend", {"recommend-outcome": "grant", "recommend-reason": "ok"}, page=url
        ).status_code
        == 302
    )

    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard/")})
    login_as(client, "decision_maker")
    assert (
        _post(client, f"{url}/decide", {"decision-outcome": "grant", "decision-reason": "agreed"}, page=url).status_code
        == 302
    )
    label = session.scalar(select(Label).where(Label.application_id == application_id))
    assert label is not None and label.certificate_number.startswith("CFP-HTDEMO-")
    page = client.get(f"/labels/{label.public_id}").get_data(as_text=True)
    assert label.certificate_number in page

    # The applicant was told, in the app; the regulator sees the label too.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard/")})
    login_as(client, "applicant")
    assert "was granted" in client.get("/notifications/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard/")})
    login_as(client, "regulator")
    assert label.certificate_number in client.get("/labels/").get_data(as_text=True)


def test_a_second_decision_on_the_same_file_is_told_it_was_already_decided(app, session):
    application = _demo(session, S.RECOMMENDED)
    url = f"/applications/{application.id}"
    first, second = english(app.test_client()), english(app.test_client())
    sign_in(first, "decision@example.com")
    sign_in(second, "decision2@example.com")
    # Both open the page while the file awaits a decision...
    token_first, token_second = csrf_token(first, url), csrf_token(second, url)
    decision = {"decision-outcome": "grant", "decision-reason": "ok"}
    assert first.post(f"{url}/decide", data={**decision, "csrf_token": token_first}).status_code == 302
    # ...and the second, acting on the stale page, is told and nothing more happens.
    response = second.post(f"{url}/decide", data={**decision, "decision-outcome": "refuse", "csrf_token": token_second})
    assert response.status_code == 409
    assert "no longer possible" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Label).where(Label.application_id == application.id)) == 1


def test_uploads_with_a_lying_name_are_refused_and_nothing_is_kept(client, session):
    draft = _demo(session, S.DRAFT)
    before = session.scalar(select(func.count()).select_from(Document).where(Document.application_id == draft.id))
    login_as(client, "applicant")
    url = f"/applications/{draft.id}"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    response = _post(
        client,
        f"{url}/documents",
        {"document-kind": "study_report", "document-file": (io.BytesIO(png), "report.pdf")},
        page=url,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "whatever its name says" in response.get_data(as_text=True)
    assert (
        session.scalar(select(func.count()).select_from(Document).where(Document.application_id == draft.id)) == before
    )


def test_oversized_requests_are_refused_before_they_are_read(app, session):
    from tests.conftest import make_test_app

    small = make_test_app(app.config["DATABASE_URL"], app.config["UPLOAD_DIR"], UPLOAD_MAX_BYTES=1024)
    client = english(small.test_client())
    draft = _demo(session, S.DRAFT)
    response = client.post(
        f"/applications/{draft.id}/documents",
        data={"document-file": (io.BytesIO(b"%PDF" + b"0" * 400_000), "big.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "larger than the registry accepts" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "path", "expected"),
    [
        ("applicant", "/applications/new", 200),
        ("body_admin", "/applications/new", 403),
        ("verifier", "/applications/relations", 200),
        ("applicant", "/applications/relations", 403),
        ("site_admin", "/applications/", 403),
        ("regulator", "/applications/", 200),
        ("regulator", "/labels/", 200),
        ("site_admin", "/labels/", 403),
    ],
)
def test_role_pages(client, role, path, expected):
    login_as(client, role)
    assert client.get(path).status_code == expected


@pytest.mark.parametrize(
    ("role", "action", "status"),
    [
        ("regulator", "accept", S.SUBMITTED),
        ("applicant", "accept", S.SUBMITTED),
        ("verifier", "decide", S.RECOMMENDED),
        ("body_admin", "decide", S.RECOMMENDED),
        ("applicant", "decide", S.RECOMMENDED),
        ("decision_maker", "submit", S.RETURNED),
        ("regulator", "withdraw", S.SUBMITTED),
    ],
)
def test_the_wrong_role_cannot_act_and_nothing_changes(client, session, role, action, status):
    application = _demo(session, status)
    login_as(client, role)
    url = f"/applications/{application.id}"
    response = _post(
        client,
        f"{url}/{action}",
        {"decision-outcome": "grant", "decision-reason": "x", "accept-complete": "y", "accept-competent": "y"},
        page="/dashboard/",
    )
    assert response.status_code == 403  # the role itself lacks the permission
    session.expire_all()
    assert session.get(Application, application.id).status is status


def test_the_file_page_speaks_chinese(app, session):
    application = _demo(session, S.FINDINGS_OPEN)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    sign_in(client, "applicant@example.com")
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "核查发现待回复" in page  # the status
    assert "Findings open" not in page


def test_a_second_draft_for_the_same_product_scheme_and_body_is_refused_with_a_link_to_the_first(client, session):
    draft = _demo(session, S.DRAFT)
    login_as(client, "applicant")
    count = session.scalar(select(func.count()).select_from(Application))
    response = _post(
        client,
        "/applications/new",
        {"product_id": draft.product_id, "body_id": draft.body_id},
        page="/applications/new",
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert f"There is already a draft for this product, scheme and body ({draft.reference})" in page
    assert f'href="/applications/{draft.id}"' in page
    assert session.scalar(select(func.count()).select_from(Application)) == count
    # Once that draft is no longer open, a new one starts, with a confirmation.
    draft.status = S.WITHDRAWN
    session.commit()
    started = _post(
        client,
        "/applications/new",
        {"product_id": draft.product_id, "body_id": draft.body_id},
        page="/applications/new",
        follow_redirects=True,
    )
    assert started.status_code == 200
    assert "started as a draft" in started.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Application)) == count + 1


def test_an_answer_to_a_finding_carries_evidence_files_the_verifier_downloads(client, session):
    application = _demo(session, S.FINDINGS_OPEN)
    finding = session.scalar(
        select(Finding)
        .where(Finding.application_id == application.id, Finding.response.is_(None), Finding.closed_at.is_(None))
        .order_by(Finding.id)
    )
    before = session.scalar(select(func.count()).select_from(Document))
    url = f"/applications/{application.id}"
    login_as(client, "applicant")
    # A file that is not what it says is refused on the evidence field, and neither the answer nor a file is kept.
    refused = _post(
        client,
        f"{url}/findings/{finding.id}/respond",
        {"response-response": "Supplier EPD attached.", "response-evidence": (io.BytesIO(b"MZ\x90\x00"), "epd.pdf")},
        page=url,
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    session.expire_all()
    assert session.get(Finding, finding.id).response is None
    assert session.scalar(select(func.count()).select_from(Document)) == before
    answered = _post(
        client,
        f"{url}/findings/{finding.id}/respond",
        {
            "response-response": "Supplier EPD and the meter reading attached.",
            "response-evidence": [
                (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "supplier-epd.pdf"),
                (io.BytesIO(b"month,kwh\n2026-10,1200\n"), "meter.csv"),
            ],
        },
        page=url,
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert answered.status_code == 200
    assert "Your answer is saved" in answered.get_data(as_text=True)
    session.expire_all()
    evidence = list(session.scalars(select(Document).where(Document.finding_id == finding.id).order_by(Document.id)))
    assert [d.original_name for d in evidence] == ["supplier-epd.pdf", "meter.csv"]
    assert all(d.application_id == application.id and d.kind.value == "evidence" for d in evidence)
    # The verifier sees them under the finding and downloads them as attachments.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard/")})
    login_as(client, "verifier")
    page = client.get(url).get_data(as_text=True)
    assert "Evidence with the answer" in page and "supplier-epd.pdf" in page
    download = client.get(f"{url}/documents/{evidence[0].id}")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.data.startswith(b"%PDF")
    # Another enterprise never reaches them.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard/")})
    sign_in(client, "applicant.pv@example.com")
    assert client.get(f"{url}/documents/{evidence[0].id}").status_code == 404


def test_the_verifier_page_goes_in_work_order_and_offers_the_recommendation_only_when_ready(client, session):
    application = _demo(session, S.UNDER_EVALUATION, "applicant.pv@example.com")
    login_as(client, "verifier")
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    order = [page.index(f'id="{anchor}"') for anchor in ("progress", "footprint", "evaluation", "statement")]
    assert order == sorted(order)
    assert "Your evaluation: done and left" in page
    # The demo's evaluation is half done: what is left is listed where the recommendation will go, without its form.
    assert page.index('id="recommendation"') > page.index('id="statement"')
    assert "Before you can recommend:" in page and "Complete every item of the evaluation checklist." in page
    assert 'name="recommend-outcome"' not in page


def test_radio_buttons_are_a_fieldset_with_a_legend_and_no_list(client, session):
    application = _demo(session, S.EVALUATION_PLANNED, "applicant.steel@example.com")
    login_as(client, "verifier")
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    group = page[page.index('<fieldset class="field choices') :]
    group = group[: group.index("</fieldset>")]
    assert "<legend>Conflict of interest</legend>" in group
    assert "<ul" not in group and "<li" not in group
    assert group.count('type="radio"') == 2 and group.count('class="choice"') == 2


def test_the_appeal_decider_reads_the_grounds_first_and_decides_in_the_appeals_own_words(app, session):
    from registry.applications.models import Appeal

    application = _demo(session, S.APPEALED, "applicant.steel@example.com")
    grounds = session.get(Appeal, application.id).grounds
    client = english(app.test_client())
    sign_in(client, "decision2@example.com")
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert page.index('id="appeal"') < page.index('id="actions"') < page.index('id="footprint"')
    assert grounds in page[page.index('id="appeal"') : page.index('id="actions"')]
    assert "Uphold the appeal: set the refusal aside and grant the label" in page
    assert "Dismiss the appeal: the refusal stands" in page
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "撤销原决定并批准" in page and "维持原决定" in page
    assert ">批准<" not in page and "不予批准</label>" not in page
    # Dismissing it is recorded and shown as such.
    response = _post(
        client,
        f"/applications/{application.id}/decide",
        {"decision-outcome": "refuse", "decision-reason": "The grounds add nothing new."},
        page=f"/applications/{application.id}",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "驳回申诉：维持原决定" in response.get_data(as_text=True)


def test_the_footprint_form_shows_the_schemes_requirements_and_tags_its_own_required_fields(client, session):
    draft = _demo(session, S.DRAFT)
    spec = draft.spec
    login_as(client, "applicant")
    page = client.get(f"/applications/{draft.id}/footprint").get_data(as_text=True)
    aside = page[page.index("What the scheme requires") : page.index("</aside>")]
    assert "%g%%" % (spec.data.min_primary_share * 100) in aside
    assert all(str(g.name_en) in aside for g in spec.grades)
    for stage in spec.boundary.required_stages:
        label = page[page.index(f'<label for="stage_{stage}">') :]
        assert label[: label.index("</label>")].endswith('<span class="required-tag">required</span>')
    for stage in spec.boundary.optional_stages:
        label = page[page.index(f'<label for="stage_{stage}">') :]
        assert "required-tag" not in label[: label.index("</label>")]
