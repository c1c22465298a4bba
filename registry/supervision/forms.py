"""The regulator's forms: an order on a label, a listing on the dishonest-entity list, and its removal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from registry.forms import no_bidi_controls
from registry.supervision.models import OrderAction
from registry.supervision.services import order_reasons

REQUIRED = _l("This field is required.")


class OrderForm(FlaskForm):
    legal_basis = TextAreaField(
        _l("Legal basis"),
        validators=[no_bidi_controls, DataRequired(message=REQUIRED), Length(max=2000)],
        description=_l("The provisions the order rests on (law, regulation, implementation rules, article)."),
    )
    decision_number = StringField(
        _l("Decision document number (决定书文号)"),
        validators=[no_bidi_controls, DataRequired(message=REQUIRED), Length(max=100)],
    )
    document = FileField(
        _l("Decision document (PDF)"),
        validators=[FileRequired(message=_l("Attach the decision document (PDF)."))],
        description=_l("Kept by the registry for regulators; its SHA-256 hash is recorded in the label's history."),
    )
    reason_code = SelectField(_l("Reason"), validators=[DataRequired(message=_l("Choose a reason."))])
    public_reason = TextAreaField(
        _l("Reason shown to the public"),
        validators=[no_bidi_controls, DataRequired(message=REQUIRED), Length(max=2000)],
        description=_l("Shown on the label's public page and in the public notices, beside the new status."),
    )
    resolve_by = DateField(
        _l("To be resolved by"),
        validators=[Optional()],
        format="%Y-%m-%d",
        render_kw={"type": "date"},
        description=_l("Suspensions only: the date by which it is restored or withdrawn."),
    )

    @classmethod
    def for_action(cls, action: OrderAction, **kwargs: object) -> OrderForm:
        form = cls(prefix=action.value, **kwargs)
        form.reason_code.choices = [(code.value, code.label) for code in order_reasons(action)]
        if action is not OrderAction.SUSPEND:
            del form.resolve_by
        return form


class ListingForm(FlaskForm):
    uscc = StringField(
        _l("Unified social credit code"),
        validators=[no_bidi_controls, DataRequired(message=REQUIRED), Length(max=18)],
        description=_l("The enterprise's 18-character code, as registered in the registry."),
    )
    reason = TextAreaField(
        _l("Reason (published)"), validators=[no_bidi_controls, DataRequired(message=REQUIRED), Length(max=2000)]
    )
    decision_number = StringField(
        _l("Decision document number (决定书文号)"),
        validators=[no_bidi_controls, DataRequired(message=REQUIRED), Length(max=100)],
    )
    listed_from = DateField(
        _l("Listed from"),
        validators=[Optional()],
        format="%Y-%m-%d",
        render_kw={"type": "date"},
        description=_l("The decision's date; today if left empty."),
    )
    listed_until = DateField(
        _l("Listed until"),
        validators=[Optional()],
        format="%Y-%m-%d",
        render_kw={"type": "date"},
        description=_l("The last day of the listing; empty until it is removed."),
    )
    document = FileField(_l("Decision document (PDF, optional)"))


class RemovalForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for the removal (credit repair, published)"),
        validators=[no_bidi_controls, DataRequired(message=REQUIRED), Length(max=2000)],
    )
