"""The body's assignment of a verifier to a label's surveillance, and the verifier's evaluation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from registry.forms import no_bidi_controls
from registry.surveillance.models import SURVEILLANCE_OUTCOME_LABELS


class AssignSurveillanceForm(FlaskForm):
    verifier_id = SelectField(
        _l("Verifier"), coerce=int, validators=[DataRequired(message=_l("Choose verifiers of your own body."))]
    )


class EvaluationForm(FlaskForm):
    no_conflict = BooleanField(
        _l("I have no conflict of interest with the holder (no employment, consultancy, interest or family tie)."),
    )
    findings = TextAreaField(
        _l("Findings"),
        validators=[
            no_bidi_controls,
            DataRequired(message=_l("Write the findings of the surveillance.")),
            Length(max=20000),
        ],
        description=_l("Confidential: seen by the certification body and regulators, never published."),
    )
    outcome = SelectField(
        _l("Outcome"),
        choices=[(outcome.value, label) for outcome, label in SURVEILLANCE_OUTCOME_LABELS.items()],
        validators=[DataRequired(message=_l("Choose the outcome: maintain, suspend or withdraw."))],
    )
    public_reason = TextAreaField(
        _l("Reason shown to the public"),
        validators=[no_bidi_controls, Optional(), Length(max=2000)],
        description=_l("Suspension or withdrawal only: shown on the label's public page beside its new status."),
    )
    resolve_by = DateField(
        _l("To be resolved by"),
        validators=[Optional()],
        format="%Y-%m-%d",
        render_kw={"type": "date"},
        description=_l("Suspensions only: the date by which it is restored or withdrawn."),
    )
    evidence = TextAreaField(
        _l("Evidence (SHA-256 hashes, one a line)"),
        validators=[Optional(), Length(max=6600)],
        description=_l("The hash of each file the decision rests on; the files stay with you."),
    )

    def evidence_hashes(self) -> list[str]:
        return [line.strip() for line in (self.evidence.data or "").splitlines() if line.strip()]
