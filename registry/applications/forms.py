"""Forms of the certification workflow. Numbers are taken as text and parsed by the services, which say
exactly what is wrong; the forms keep what the person typed."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from registry.applications.models import Assurance, DataKind, DocumentKind, FactorUnit, Opinion, Outcome, Severity
from registry.forms import no_bidi_controls
from registry.schemes.names import STAGE_LABELS

_required = DataRequired(message=_l("This field is required."))


class ActionForm(FlaskForm):
    """A button that changes the status and carries nothing but the CSRF token."""


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reasons"), validators=[no_bidi_controls, _required, Length(max=4000)])


class OptionalReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason (optional)"), validators=[no_bidi_controls, Optional(), Length(max=4000)])


class NewApplicationForm(FlaskForm):
    product_id = SelectField(_l("Product"), coerce=int, validators=[_required])
    body_id = SelectField(_l("Certification body"), coerce=int, validators=[_required])


def footprint_form_class(stages: list[str]) -> type[FlaskForm]:
    """The footprint form for one scheme version: one field per life-cycle stage inside its boundary."""

    class FootprintForm(FlaskForm):
        declared_footprint = StringField(
            _l("Declared footprint (kg CO2e per declared unit)"), validators=[_required, Length(max=30)]
        )
        period_start = DateField(_l("Data period from"), validators=[_required], format="%Y-%m-%d")
        period_end = DateField(_l("Data period to"), validators=[_required], format="%Y-%m-%d")
        primary_share_percent = StringField(
            _l("Primary data share (%)"),
            validators=[_required, Length(max=12)],
            description=_l(
                "The share of the footprint calculated from the company's own or its suppliers' measured data."
            ),
        )

    for stage in stages:
        setattr(
            FootprintForm, f"stage_{stage}", StringField(STAGE_LABELS[stage], validators=[Optional(), Length(max=30)])
        )
    return FootprintForm


def stage_fields(form: FlaskForm, stages: list[str]) -> list[Any]:
    return [getattr(form, f"stage_{stage}") for stage in stages]


class LineForm(FlaskForm):
    stage = SelectField(_l("Stage"), validators=[_required])
    description = StringField(_l("Activity"), validators=[no_bidi_controls, _required, Length(max=300)])
    quantity = StringField(_l("Quantity per declared unit"), validators=[_required, Length(max=30)])
    quantity_unit = StringField(_l("Unit"), validators=[no_bidi_controls, _required, Length(max=40)])
    factor_value = StringField(_l("Emission factor"), validators=[_required, Length(max=30)])
    factor_unit = SelectField(
        _l("Factor unit (CO2e per unit of quantity)"),
        choices=[(u.value, f"{u.value} CO2e / …") for u in FactorUnit],
        default=FactorUnit.KG.value,
    )
    factor_source = StringField(_l("Factor source"), validators=[no_bidi_controls, _required, Length(max=300)])
    data_kind = SelectField(
        _l("Data"), choices=[(DataKind.PRIMARY.value, _l("Primary")), (DataKind.SECONDARY.value, _l("Secondary"))]
    )


class DocumentForm(FlaskForm):
    kind = SelectField(_l("Kind of document"), choices=DocumentKind.choices())
    file = FileField(
        _l("File"),
        validators=[FileRequired(message=_l("Choose a file."))],
        description=_l("Study report: PDF. Inventory: XLSX, ODS or CSV. Evidence: PDF, image, spreadsheet or DOCX."),
    )


class AcceptForm(FlaskForm):
    complete = BooleanField(
        _l("The file is complete: footprint, stage split, activity data, study report and inventory.")
    )
    competent = BooleanField(_l("The body is accredited and has competent verifiers for this scheme."))
    reason = TextAreaField(_l("Review notes (optional)"), validators=[no_bidi_controls, Optional(), Length(max=4000)])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AssignForm(FlaskForm):
    verifier_ids = MultiCheckboxField(_l("Verifiers"), coerce=int)


class DeclarationForm(FlaskForm):
    conflict = RadioField(
        _l("Conflict of interest"),
        choices=[
            (
                "no",
                _l(
                    "I declare that I have no relationship with the applicant, its products or its consultants that could compromise my impartiality."
                ),
            ),
            ("yes", _l("I have a conflict of interest with this application.")),
        ],
        validators=[_required],
    )
    details = TextAreaField(
        _l("If you have a conflict, describe it"), validators=[no_bidi_controls, Optional(), Length(max=2000)]
    )


class RelationForm(FlaskForm):
    organisation_id = SelectField(_l("Organisation"), coerce=int, validators=[_required])
    relation = SelectField(_l("Relation"), validators=[_required])
    details = TextAreaField(_l("Details (optional)"), validators=[no_bidi_controls, Optional(), Length(max=2000)])


class ChecklistForm(FlaskForm):
    notes = TextAreaField(_l("What was checked and found"), validators=[no_bidi_controls, Optional(), Length(max=4000)])
    site_date = DateField(_l("Inspection date"), validators=[Optional()], format="%Y-%m-%d")
    site_place = StringField(_l("Place"), validators=[no_bidi_controls, Optional(), Length(max=300)])


class FindingForm(FlaskForm):
    severity = SelectField(_l("Severity"), choices=Severity.choices())
    description = TextAreaField(_l("Finding"), validators=[no_bidi_controls, _required, Length(max=4000)])


class ResponseForm(FlaskForm):
    response = TextAreaField(_l("Your answer"), validators=[no_bidi_controls, _required, Length(max=4000)])
    evidence = MultipleFileField(
        _l("Evidence (optional)"),
        description=_l("Up to five files, e.g. a supplier's EPD or a meter reading: PDF, image, spreadsheet or DOCX."),
    )


class CloseFindingForm(FlaskForm):
    note = TextAreaField(_l("Why it can be closed"), validators=[no_bidi_controls, _required, Length(max=4000)])


class StatementForm(FlaskForm):
    assurance = SelectField(
        _l("Level of assurance"),
        choices=[(Assurance.REASONABLE.value, _l("Reasonable")), (Assurance.LIMITED.value, _l("Limited"))],
    )
    opinion = SelectField(
        _l("Opinion"),
        choices=[
            (Opinion.UNMODIFIED.value, _l("Unmodified")),
            (Opinion.MODIFIED.value, _l("Modified")),
            (Opinion.ADVERSE.value, _l("Adverse")),
        ],
    )
    materiality_percent = StringField(_l("Materiality threshold (%)"), validators=[_required, Length(max=12)])
    summary = TextAreaField(
        _l("Summary"),
        validators=[no_bidi_controls, _required, Length(max=2000)],
        description=_l("Published with the label: what was verified, how, and the conclusion."),
    )


class RecommendForm(FlaskForm):
    outcome = RadioField(
        _l("Recommendation"),
        choices=[(Outcome.GRANT.value, _l("Grant")), (Outcome.REFUSE.value, _l("Refuse"))],
        validators=[_required],
    )
    reason = TextAreaField(_l("Reasons"), validators=[no_bidi_controls, _required, Length(max=4000)])


class DecisionForm(FlaskForm):
    outcome = RadioField(
        _l("Decision"),
        choices=[(Outcome.GRANT.value, _l("Grant")), (Outcome.REFUSE.value, _l("Refuse"))],
        validators=[_required],
    )
    reason = TextAreaField(_l("Reasons"), validators=[no_bidi_controls, _required, Length(max=4000)])


class AppealDecisionForm(FlaskForm):
    """The decision on an appeal against a refusal, worded as what it does to the refusal: upholding the appeal
    sets the refusal aside and grants the label (``grant``), dismissing it confirms the refusal (``refuse``)."""

    outcome = RadioField(
        _l("Decision on the appeal"),
        choices=[
            (Outcome.GRANT.value, _l("Uphold the appeal: set the refusal aside and grant the label")),
            (Outcome.REFUSE.value, _l("Dismiss the appeal: the refusal stands")),
        ],
        validators=[_required],
    )
    reason = TextAreaField(_l("Reasons"), validators=[no_bidi_controls, _required, Length(max=4000)])


class AppealForm(FlaskForm):
    reason = TextAreaField(_l("Grounds of appeal"), validators=[no_bidi_controls, _required, Length(max=4000)])
