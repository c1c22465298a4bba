"""The draw form (filter, how many, the inspector pool) and the result form (pass/fail, findings, evidence hash,
and on a failure "suspend now" with a resolve-by date)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from registry.forms import no_bidi_controls
from registry.inspections.models import CheckOutcome
from registry.inspections.services import MAX_COUNT


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DrawForm(FlaskForm):
    scheme = SelectField(_l("Scheme"), validators=[Optional()])
    body = SelectField(_l("Certification body"), validators=[Optional()])
    region = SelectField(_l("Holder's province"), validators=[Optional()])
    category = SelectField(_l("Product category"), validators=[Optional()])
    count = IntegerField(
        _l("Number of labels to draw"),
        validators=[
            InputRequired(message=_l("Give the number of labels to draw.")),
            NumberRange(min=1, max=MAX_COUNT, message=_l("Draw between 1 and 1000 labels.")),
        ],
    )
    pool = CheckboxList(
        _l("Inspectors"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose at least one inspector."))],
        description=_l("Each drawn label is assigned one of them at random; their names are not published."),
    )


class ResultForm(FlaskForm):
    outcome = RadioField(_l("Result"), validators=[InputRequired(message=_l("Choose passed or failed."))])
    findings = TextAreaField(
        _l("Findings (published)"),
        validators=[no_bidi_controls, DataRequired(message=_l("This field is required.")), Length(max=2000)],
        description=_l("A summary the public reads with the result; no personal or confidential details."),
    )
    evidence_sha256 = StringField(
        _l("Evidence (SHA-256 hash)"),
        validators=[Optional(), Length(max=64)],
        description=_l("The hash of the evidence file; the file stays with you."),
    )
    suspend = BooleanField(_l("Suspend the label now (failed checks only)"))
    resolve_by = DateField(
        _l("To be resolved by"), validators=[Optional()], format="%Y-%m-%d", render_kw={"type": "date"}
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.outcome.choices = [(o.value, o.label) for o in CheckOutcome]
