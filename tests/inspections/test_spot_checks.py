"""Double-random spot checks (registry.inspections): the draw, reproduced by anyone from what is published; the
filter; the results and what a failure leads to; who may do what."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.audit.services import Actor
from registry.errors import ServiceError
from registry.inspections import draw as algorithm
from registry.inspections.models import SpotCheckDraw, SpotCheckItem, SpotCheckResult
from registry.inspections.services import DrawFilter, candidates, make_draw, record_result
from registry.labels.lifecycle import change_status, china_today
from registry.labels.models import Label, LabelAction, LabelCapacity, LabelReason, LabelStatus, LabelTransition
from tests.conftest import english, post_form, sign_in

FINDINGS = "Sample bought on the market: the label's grade matches the certificate; records consistent."


def valid_numbers(session: Session, **where: object) -> set[str]:
    today = china_today()
    return {
        label.certificate_number
        for label in session.scalars(select(Label))
        if label.status is LabelStatus.VALID
        and label.valid_until >= today
        and all(getattr(label, k) == v for k, v in where.items())
    }


def repeat_from_json(document: dict) -> list[tuple[str, int]]:  # type: ignore[type-arg]
    """The draw as an outsider repeats it from the JSON, with nothing but hashlib (the public page's recipe)."""
    seed = bytes.fromhex(document["seed"])
    drawn = sorted(document["candidates"], key=lambda n: hashlib.sha256(seed + n.encode("utf-8")).digest())
    drawn = drawn[: document["requested"]]
    order = sorted(
        range(1, document["pool_size"] + 1), key=lambda i: hashlib.sha256(seed + f"inspector:{i}".encode()).digest()
    )
    return [(number, order[j % len(order)]) for j, number in enumerate(drawn)]


def draw_for(session: Session, regulator, inspectors, count: int = 2, wanted: DrawFilter | None = None, **kw):  # type: ignore[no-untyped-def]
    return make_draw(session, Actor(regulator), wanted or DrawFilter(), count, [p.id for p in inspectors], **kw)


def refusal(session: Session, call) -> ServiceError:  # type: ignore[no-untyped-def]
    savepoint = session.begin_nested()
    with pytest.raises(ServiceError) as caught:
        call()
    savepoint.rollback()
    return caught.value


# --- the draw ----------------------------------------------------------------------------------------------------


def test_the_published_json_reproduces_the_draw_with_hashlib_alone(
    client, session, regulator, inspectors, runner, tmp_path
):
    made = draw_for(session, regulator, inspectors, count=2)
    session.commit()
    document = client.get(f"/spot-checks/{made.id}.json").json

    # The candidates are every valid label at draw time, and their fingerprint is over the sorted list.
    assert set(document["candidates"]) == valid_numbers(session) and len(document["candidates"]) >= 3
    assert document["candidate_count"] == len(document["candidates"])
    joined = "\n".join(sorted(document["candidates"])).encode("utf-8")
    assert document["candidates_sha256"] == hashlib.sha256(joined).hexdigest()
    assert len(bytes.fromhex(document["seed"])) == 32

    # An outsider's repetition gives the same labels, in the same order, with the same inspectors.
    published = [(d["certificate_number"], d["inspector"]) for d in document["drawn"]]
    assert repeat_from_json(document) == published and len(published) == 2
    # … which are the ones the regulator's inspectors were given.
    pool = {number: user.id for number, user in enumerate(sorted(inspectors, key=lambda u: u.id), start=1)}
    items = session.scalars(
        select(SpotCheckItem).where(SpotCheckItem.draw_id == made.id).order_by(SpotCheckItem.position)
    )
    assert [(i.certificate_number, i.inspector_id) for i in items] == [(n, pool[k]) for n, k in published]
    # Each drawn label links to its public page; no inspector's name or e-mail is published.
    assert all(d["label"].startswith("https://") and "/l/" in d["label"] for d in document["drawn"])
    body = json.dumps(document, ensure_ascii=False) + client.get(f"/spot-checks/{made.id}").get_data(as_text=True)
    for user in inspectors:
        assert user.email not in body and user.name not in body

    # The CLI check agrees, and notices a tampered document.
    saved = tmp_path / "draw.json"
    saved.write_text(json.dumps(document), encoding="utf-8")
    checked = runner.invoke(args=["inspections", "verify-draw", str(saved)])
    assert checked.exit_code == 0, checked.output
    document["drawn"][0], document["drawn"][1] = document["drawn"][1], document["drawn"][0]
    saved.write_text(json.dumps(document), encoding="utf-8")
    assert runner.invoke(args=["inspections", "verify-draw", str(saved)]).exit_code == 1


def test_the_same_seed_and_candidates_give_the_same_draw_and_another_seed_another(session, regulator, inspectors):
    seed = bytes(range(32))
    first = draw_for(session, regulator, inspectors, count=2, seed=seed)
    second = draw_for(session, regulator, inspectors, count=2, seed=seed)
    assert [(i.certificate_number, i.inspector_id) for i in first.items] == [
        (i.certificate_number, i.inspector_id) for i in second.items
    ]
    numbers = first.candidates
    # The order the candidates come in does not matter; only the seed does.
    assert algorithm.draw(seed, list(reversed(numbers)), 2, 3) == algorithm.draw(seed, numbers, 2, 3)
    keys = {algorithm.draw(bytes([n]) * 32, numbers, len(numbers), 3)[0].certificate_number for n in range(40)}
    assert len(keys) > 1  # different seeds draw different labels first


def test_the_filter_is_respected_and_a_larger_count_draws_every_candidate(session, regulator, inspectors):
    shandong = DrawFilter(region="37")
    expected = {
        n
        for n in valid_numbers(session)
        if session.scalar(select(Label).where(Label.certificate_number == n)).holder.division_code.startswith("37")
    }  # type: ignore[union-attr]
    assert expected and expected != valid_numbers(session)
    made = draw_for(session, regulator, inspectors, count=50, wanted=shandong)
    assert set(made.candidates) == expected
    assert {i.certificate_number for i in made.items} == expected  # all drawn: fewer candidates than asked
    assert made.requested == 50 and made.candidate_count == len(expected)

    steel = session.scalar(select(Label).where(Label.product.has(category_code="steel")))
    assert steel is not None
    by_category = draw_for(session, regulator, inspectors, count=5, wanted=DrawFilter(category="steel"))
    assert {i.certificate_number for i in by_category.items} == {steel.certificate_number}
    scheme = session.scalars(select(Label)).first().scheme_version.scheme.code  # type: ignore[union-attr]
    by_scheme = draw_for(session, regulator, inspectors, count=50, wanted=DrawFilter(scheme=scheme))
    assert set(by_scheme.candidates) == {
        n
        for n in valid_numbers(session)
        if session.scalar(select(Label).where(Label.certificate_number == n)).scheme_version.scheme.code == scheme  # type: ignore[union-attr]
    }
    # A suspended label is no candidate.
    change_status(
        session,
        steel,
        LabelAction.SUSPEND,
        Actor(regulator),
        reason_code="misuse",
        public_reason="Misused.",
        resolve_by=china_today() + timedelta(days=10),
    )
    assert steel.certificate_number not in candidates(session, DrawFilter(body="HTDEMO"))
    assert candidates(session, DrawFilter(body="HTDEMO")).keys() == valid_numbers(session)


def test_a_draw_is_refused_with_the_reason_on_its_field(session, regulator, inspectors, other_regulator):
    nothing = refusal(session, lambda: draw_for(session, regulator, inspectors, wanted=DrawFilter(body="RCDEMO")))
    assert nothing.field == "count" and "nothing to draw" in str(nothing.message)
    assert (
        refusal(session, lambda: draw_for(session, regulator, inspectors, wanted=DrawFilter(scheme="nope"))).field
        == "scheme"
    )
    assert (
        refusal(session, lambda: draw_for(session, regulator, inspectors, wanted=DrawFilter(region="99"))).field
        == "region"
    )
    assert refusal(session, lambda: draw_for(session, regulator, inspectors, count=0)).field == "count"
    assert refusal(session, lambda: draw_for(session, regulator, [])).field == "pool"
    # Another regulator's staff cannot be in the pool.
    assert refusal(session, lambda: draw_for(session, regulator, [*inspectors, other_regulator])).field == "pool"
    assert session.scalar(select(func.count()).select_from(SpotCheckDraw)) == 0


def test_a_draw_and_its_items_and_results_cannot_be_changed(session, regulator, inspectors):
    made = draw_for(session, regulator, inspectors)
    record_result(session, Actor(regulator), made.items[0], outcome="pass", findings=FINDINGS)
    session.commit()
    for statement in (
        "UPDATE spot_check_draws SET seed = :x",
        "UPDATE spot_check_items SET inspector_number = 1",
        "UPDATE spot_check_results SET outcome = 'fail'",
        "DELETE FROM spot_check_results",
    ):
        savepoint = session.begin_nested()
        with pytest.raises(DBAPIError):
            session.execute(text(statement), {"x": "0" * 64})
        savepoint.rollback()


def test_the_cli_draws_and_prints_the_id_and_seed(runner, session, regulator, inspectors):
    result = runner.invoke(
        args=[
            "inspections",
            "draw",
            "--filter",
            "region=37",
            "--count",
            "1",
            "--pool",
            ",".join(p.email for p in inspectors),
            "--actor",
            regulator.email,
        ]
    )
    assert result.exit_code == 0, result.output
    draw_id, seed = result.output.split()
    made = session.get(SpotCheckDraw, int(draw_id))
    assert made is not None and made.seed == seed and made.filter_region == "37" and len(made.items) == 1
    refused = runner.invoke(
        args=["inspections", "draw", "--count", "1", "--pool", "applicant@example.com", "--actor", regulator.email]
    )
    assert refused.exit_code != 0 and "regulator staff" in refused.output


# --- results -----------------------------------------------------------------------------------------------------


def test_the_inspector_records_a_result_in_the_browser_and_it_is_published(app, client, session, regulator, inspectors):
    made = draw_for(session, regulator, inspectors, count=3)
    session.commit()
    item = made.items[0]
    sign_in(client, item.inspector.email)
    page = f"/inspections/checks/{item.id}"
    assert "Record the result" in client.get(page).get_data(as_text=True)
    response = post_form(client, page, {"outcome": "pass", "findings": FINDINGS, "evidence_sha256": "ab" * 32})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    session.expire_all()
    result = session.get(SpotCheckResult, item.id)
    assert result is not None and result.outcome == "pass" and result.recorded_by_id == item.inspector_id
    again = post_form(
        client, page, {"outcome": "fail", "findings": "Changed my mind."}, form_url=f"/inspections/{made.id}"
    )
    assert again.status_code == 409
    assert session.get(SpotCheckResult, item.id).outcome == "pass"  # type: ignore[union-attr]

    client = english(app.test_client())  # signed out
    public = client.get(f"/spot-checks/{made.id}").get_data(as_text=True)
    assert FINDINGS.split(":")[0] in public and "Passed" in public
    document = client.get(f"/spot-checks/{made.id}.json").json
    assert document["drawn"][0]["result"]["outcome"] == "pass"
    assert document["drawn"][0]["result"]["findings"] == FINDINGS
    assert document["drawn"][1]["result"] is None
    tags = set(session.scalars(select(AuditEvent.tag).where(AuditEvent.tag.like("inspections:%"))))
    assert tags == {"inspections:draw", "inspections:result"}


def test_a_failed_check_suspends_the_label_from_the_result_form(client, session, regulator, inspectors):
    made = draw_for(session, regulator, inspectors, count=1)
    session.commit()
    item = made.items[0]
    sign_in(client, item.inspector.email)
    page = f"/inspections/checks/{item.id}"
    resolve_by = (china_today() + timedelta(days=30)).isoformat()
    bad = post_form(client, page, {"outcome": "pass", "findings": FINDINGS, "suspend": "y", "resolve_by": resolve_by})
    assert bad.status_code == 400 and "Only a failed check" in bad.get_data(as_text=True)
    failing = "The product's bill of materials differs from the certified one; the footprint is not supported."
    no_date = post_form(client, page, {"outcome": "fail", "findings": failing, "suspend": "y"})
    assert no_date.status_code == 400 and session.get(SpotCheckResult, item.id) is None  # nothing half-written
    done = post_form(client, page, {"outcome": "fail", "findings": failing, "suspend": "y", "resolve_by": resolve_by})
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    session.expire_all()
    label = session.get(Label, item.label_id)
    assert label is not None and label.status is LabelStatus.SUSPENDED
    step = session.scalars(
        select(LabelTransition).where(LabelTransition.label_id == label.id).order_by(LabelTransition.id.desc())
    ).first()
    assert step is not None and step.action == "suspend"
    assert step.reason_code is LabelReason.SPOT_CHECK_FAILED and step.capacity is LabelCapacity.REGULATOR
    assert step.public_reason == failing and step.resolve_by.isoformat() == resolve_by  # type: ignore[union-attr]
    assert client.get(f"/l/{label.public_id}").get_data(as_text=True).count("Failed a spot check") >= 1


# --- who may -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role_email", ["applicant@example.com", "body.admin@example.com", "verifier@example.com", "admin@example.com"]
)
def test_only_regulators_reach_the_spot_check_pages(client, session, regulator, inspectors, role_email):
    made = draw_for(session, regulator, inspectors, count=1)
    session.commit()
    sign_in(client, role_email)
    for url in (
        "/inspections/",
        "/inspections/new",
        f"/inspections/{made.id}",
        f"/inspections/checks/{made.items[0].id}",
    ):
        assert client.get(url).status_code == 403, url
    assert client.get(f"/spot-checks/{made.id}").status_code == 200


def test_who_records_a_result(app, client, session, regulator, inspectors, other_regulator):
    made = draw_for(session, regulator, inspectors, count=3)
    session.commit()
    item = next(i for i in made.items if i.inspector_id != regulator.id)
    bystander = next(p for p in inspectors if p.id not in (item.inspector_id, regulator.id))
    page = f"/inspections/checks/{item.id}"

    # Another regulator's staff do not even see the draw.
    sign_in(client, other_regulator.email)
    assert client.get(f"/inspections/{made.id}").status_code == 404
    assert client.get(page).status_code == 404
    client = english(app.test_client())
    # A colleague who is neither the inspector nor the drawer sees it, but cannot record the result.
    sign_in(client, bystander.email)
    assert client.get(page).status_code == 200
    refused = post_form(client, page, {"outcome": "pass", "findings": FINDINGS}, form_url=f"/inspections/{made.id}")
    assert refused.status_code == 403 and session.get(SpotCheckResult, item.id) is None
    client = english(app.test_client())
    # The regulator who made the draw can.
    sign_in(client, regulator.email)
    assert post_form(client, page, {"outcome": "pass", "findings": FINDINGS}).status_code == 302
    # The service says the same for the bystander, whatever the edge.
    other = next(i for i in made.items if i.id != item.id and i.inspector_id != bystander.id)
    assert (
        refusal(
            session, lambda: record_result(session, Actor(bystander), other, outcome="pass", findings=FINDINGS)
        ).status
        == 403
    )


def test_a_regulator_makes_a_draw_in_the_browser(client, session, regulator, inspectors):
    sign_in(client, regulator.email)
    assert "Spot checks" in client.get("/dashboard/").get_data(as_text=True)
    empty = post_form(
        client, "/inspections/new", {"count": "2", "region": "", "scheme": "", "body": "", "category": ""}
    )
    assert empty.status_code == 400 and "Choose at least one inspector" in empty.get_data(as_text=True)
    response = post_form(
        client,
        "/inspections/new",
        {
            "count": "2",
            "region": "",
            "scheme": "",
            "body": "HTDEMO",
            "category": "",
            "pool": [str(p.id) for p in inspectors[:2]],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    made = session.scalars(select(SpotCheckDraw).order_by(SpotCheckDraw.id.desc())).first()
    assert made is not None and made.filter_body == "HTDEMO" and made.pool_size == 2 and len(made.items) == 2
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert made.seed in page and inspectors[0].name in page  # the internal page names the inspectors
    listing = client.get("/spot-checks").get_data(as_text=True)
    assert f"/spot-checks/{made.id}" in listing


def test_an_unknown_or_impossible_draw_is_a_404(client):
    for url in ("/spot-checks/999999", f"/spot-checks/{2**70}", f"/spot-checks/{2**70}.json", "/spot-checks/0.json"):
        assert client.get(url).status_code == 404, url
