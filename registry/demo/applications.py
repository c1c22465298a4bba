"""Demo applications, driven through the real services from draft to whatever status each should show.

``drive_to`` is also what the tests use to bring an application to a given status, so the demo and the tests
exercise exactly the path a person takes in the browser.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.applications.models import Application, ApplicationStatus, Outcome
from registry.applications.services import applicant as services, decisions, evaluation, review
from registry.audit.services import Actor
from registry.database import utcnow
from registry.dates import add_months
from registry.organisations.models import Organisation
from registry.products.models import Product

S = ApplicationStatus

# The steps from a complete draft to each status, in order.
PATHS: dict[S, tuple[str, ...]] = {
    S.DRAFT: (),
    S.SUBMITTED: ("submit",),
    S.RETURNED: ("submit", "return"),
    S.REJECTED: ("submit", "reject"),
    S.ACCEPTED: ("submit", "accept"),
    S.EVALUATION_PLANNED: ("submit", "accept", "plan"),
    S.UNDER_EVALUATION: ("submit", "accept", "plan", "declare", "start"),
    S.FINDINGS_OPEN: ("submit", "accept", "plan", "declare", "start", "raise", "issue"),
    S.RECOMMENDED: ("submit", "accept", "plan", "declare", "start", "evaluate", "recommend"),
    S.GRANTED: ("submit", "accept", "plan", "declare", "start", "evaluate", "recommend", "grant"),
    S.REFUSED: ("submit", "accept", "plan", "declare", "start", "evaluate", "recommend", "refuse"),
    S.APPEALED: ("submit", "accept", "plan", "declare", "start", "evaluate", "recommend", "refuse", "appeal"),
    S.REFUSED_FINAL: (
        "submit",
        "accept",
        "plan",
        "declare",
        "start",
        "evaluate",
        "recommend",
        "refuse",
        "appeal",
        "refuse_final",
    ),
    S.WITHDRAWN: ("submit", "withdraw"),
}

STUDY_REPORT = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)


@dataclass
class Team:
    """The demo people who act on a file: applicant, body administrator, verifier, decider, appeal decider."""

    applicant: Actor
    admin: Actor
    verifier: Actor
    decider: Actor
    appeal_decider: Actor

    @classmethod
    def demo(cls, session: Session) -> Team:
        def actor(email: str) -> Actor:
            user = session.scalar(select(User).where(User.email == email))
            assert user is not None, f"demo user {email} missing"
            return Actor(user)

        return cls(
            applicant=actor("applicant@example.com"),
            admin=actor("body.admin@example.com"),
            verifier=actor("verifier@example.com"),
            decider=actor("decision@example.com"),
            appeal_decider=actor("decision2@example.com"),
        )


def data_period(today: date) -> tuple[date, date]:
    """The last twelve whole months."""
    end = today.replace(day=1) - timedelta(days=1)
    return add_months(end + timedelta(days=1), -12), end


def complete_draft(
    session: Session,
    team: Team,
    product: Product,
    body: Organisation,
    *,
    folder: Path,
    footprint: str = "62.4",
    split: tuple[str, str] = ("40.1", "22.3"),
) -> Application:
    """A draft with everything a submission needs: the total and its split, the period, activity lines, the
    study report and the inventory."""
    application = services.create_application(session, team.applicant, product, body)
    boundary = application.spec.boundary.required_stages
    first, second = boundary[0], boundary[1]
    start, end = data_period(utcnow().date())
    minimum = int(application.spec.data.min_primary_share * 100)
    services.update_footprint(
        session,
        team.applicant,
        application,
        services.FootprintData(footprint, {first: split[0], second: split[1]}, start, end, str(max(minimum, 60))),
    )
    services.add_line(
        session,
        team.applicant,
        application,
        services.LineData(
            first,
            "Main raw material (supplier-specific)",
            split[0],
            "kg",
            "1",
            "kg",
            "Supplier's verified footprint, 2025",
            "primary",
        ),
    )
    services.add_line(
        session,
        team.applicant,
        application,
        services.LineData(
            second,
            "Purchased electricity",
            str(round(float(split[1]) / 0.5703, 3)),
            "kWh",
            "570.3",
            "g",
            "National grid emission factor, 2024 (published by the MEE)",
            "secondary",
        ),
    )
    services.upload_document(
        session,
        team.applicant,
        application,
        kind="study_report",
        stream=io.BytesIO(STUDY_REPORT),
        name="footprint-study.pdf",
        folder=folder,
        max_bytes=2**20,
    )
    inventory = f"stage,description,quantity,unit\n{first},raw material,{split[0]},kg\n{second},electricity,1,kWh\n"
    services.upload_document(
        session,
        team.applicant,
        application,
        kind="inventory",
        stream=io.BytesIO(inventory.encode()),
        name="inventory.csv",
        folder=folder,
        max_bytes=2**20,
    )
    return application


def step(session: Session, team: Team, application: Application, name: str) -> None:
    """One step a person takes; each goes through the same service a view calls."""
    if name == "submit":
        services.submit_application(session, team.applicant, application)
    elif name == "return":
        review.return_application(session, team.admin, application, reason="The inventory lacks the transport lines.")
    elif name == "reject":
        review.reject_application(session, team.admin, application, reason="The product is outside our accreditation.")
    elif name == "accept":
        review.accept_application(session, team.admin, application, complete=True, competent=True, notes=None)
    elif name == "plan":
        assert team.verifier.user is not None
        review.assign_verifiers(session, team.admin, application, [team.verifier.user.id])
    elif name == "declare":
        review.declare_interest(session, team.verifier, application, conflict=False, details=None)
    elif name == "start":
        evaluation.start_evaluation(session, team.verifier, application)
    elif name == "raise":
        evaluation.raise_finding(
            session,
            team.verifier,
            application,
            severity="minor",
            description="The grid emission factor is from 2022; use the latest published factor.",
        )
    elif name == "issue":
        evaluation.issue_findings(session, team.verifier, application)
    elif name == "evaluate":
        inspected = utcnow().date() - timedelta(days=7)
        for item in evaluation.checklist(session, application):
            evaluation.complete_checklist_item(
                session,
                team.verifier,
                application,
                item.mode,
                notes="Checked against the study report and records.",
                site_date=inspected,
                site_place=application.product.factory or "Main production site",
            )
        evaluation.sign_statement(
            session,
            team.verifier,
            application,
            assurance="reasonable",
            opinion="unmodified",
            materiality_percent=str(application.spec.certification.materiality_percent),
            summary="The declared footprint is fairly stated in all material respects.",
        )
    elif name == "recommend":
        evaluation.recommend(
            session, team.verifier, application, outcome="grant", reasons="No open findings; opinion unmodified."
        )
    elif name == "grant":
        decisions.decide_application(
            session, team.decider, application, outcome=Outcome.GRANT, reasons="Recommendation confirmed."
        )
    elif name == "refuse":
        decisions.decide_application(
            session,
            team.decider,
            application,
            outcome=Outcome.REFUSE,
            reasons="The primary data share could not be confirmed on site.",
        )
    elif name == "appeal":
        services.appeal_refusal(
            session, team.applicant, application, grounds="The supplier data was provided after the visit."
        )
    elif name == "refuse_final":
        decisions.decide_application(
            session,
            team.appeal_decider,
            application,
            outcome=Outcome.REFUSE,
            reasons="The supplier data does not cover the data period.",
            on_appeal=True,
        )
    elif name == "withdraw":
        services.withdraw_application(session, team.applicant, application, reason="Product redesigned.")
    else:
        raise ValueError(name)


def drive_to(session: Session, team: Team, application: Application, target: S) -> Application:
    for name in PATHS[target]:
        step(session, team, application, name)
    assert application.status is target, (application.status, target)
    return application


# (applicant e-mail, product model, target status, footprint, split over the scheme's first two required stages)
DEMO_APPLICATIONS = [
    ("applicant@example.com", "LN-ESS-280Ah-51.2V", S.GRANTED, "62.4", ("40.1", "22.3")),
    ("applicant@example.com", "LN-EB-48V20Ah", S.FINDINGS_OPEN, "88.6", ("61.2", "27.4")),
    ("applicant@example.com", "LN-HS-10kWh", S.RECOMMENDED, "71.9", ("50.3", "21.6")),
    ("applicant@example.com", "LN-TC-48V100Ah", S.SUBMITTED, "66.0", ("45.5", "20.5")),
    ("applicant@example.com", "LN-PT-18V4Ah", S.DRAFT, "95.2", ("70.0", "25.2")),
    ("applicant@example.com", "LN-EB-48V20Ah", S.WITHDRAWN, "90.1", ("62.0", "28.1")),
    ("applicant@example.com", "LN-PT-18V4Ah", S.REJECTED, "97.3", ("71.0", "26.3")),
    ("applicant@example.com", "LN-TC-48V100Ah", S.RETURNED, "67.2", ("46.0", "21.2")),
    ("applicant@example.com", "LN-HS-10kWh", S.REFUSED_FINAL, "74.0", ("52.0", "22.0")),
    ("applicant.pv@example.com", "SG-M72-580W", S.GRANTED, "412.5", ("301.2", "111.3")),
    ("applicant.pv@example.com", "SG-M72-580W", S.UNDER_EVALUATION, "398.0", ("290.0", "108.0")),
    ("applicant.pv@example.com", "SG-M72-580W", S.ACCEPTED, "405.1", ("296.0", "109.1")),
    ("applicant.steel@example.com", "HRB400E Φ16", S.GRANTED, "1850.0", ("1210.0", "640.0")),
    ("applicant.steel@example.com", "HRB400E Φ16", S.EVALUATION_PLANNED, "1795.5", ("1180.5", "615.0")),
    ("applicant.steel@example.com", "HRB400E Φ16", S.APPEALED, "1920.0", ("1260.0", "660.0")),
    ("applicant.steel@example.com", "HRB400E Φ16", S.REFUSED, "1990.0", ("1300.0", "690.0")),
]


def load_demo_applications(session: Session, upload_dir: Path) -> int:
    """Demo applications in every status, with three granted labels; skipped if the demo enterprises already
    have applications (so a second ``make run`` changes nothing)."""
    demo_enterprises = select(Organisation.id).where(Organisation.is_demo.is_(True))
    if session.scalar(select(Application.id).where(Application.applicant_id.in_(demo_enterprises)).limit(1)):
        return 0
    body = session.scalar(select(Organisation).where(Organisation.body_code == "HTDEMO"))
    assert body is not None
    base = Team.demo(session)
    for email, model, target, footprint, split in DEMO_APPLICATIONS:
        applicant = session.scalar(select(User).where(User.email == email))
        assert applicant is not None
        team = Team(Actor(applicant), base.admin, base.verifier, base.decider, base.appeal_decider)
        product = session.scalar(
            select(Product).where(Product.organisation_id == applicant.organisation_id, Product.model == model)
        )
        assert product is not None, model
        application = complete_draft(session, team, product, body, folder=upload_dir, footprint=footprint, split=split)
        drive_to(session, team, application, target)
    return len(DEMO_APPLICATIONS)
