"""The form that moves a label (suspend, restore, withdraw, cancel): a reason code, the words the public reads,
a suspension's resolve-by date and the evidence's SHA-256 hashes. The service checks what each action needs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from registry.applications.models import CHANGE_KIND_LABELS
from registry.forms import no_bidi_controls
from registry.labels.lifecycle import REASONS
from registry.labels.models import LabelAction


class ReissueForm(FlaskForm):
    """The button that re-issues the labels a revoked key signed: nothing to fill in but the CSRF token."""


class LabelStatusForm(FlaskForm):
    reason_code = SelectField(_l("Reason"), validators=[DataRequired(message=_l("Choose a reason."))])
    public_reason = TextAreaField(
        _l("Reason shown to the public"),
        validators=[no_bidi_controls, DataRequired(message=_l("This field is required.")), Length(max=2000)],
        description=_l("Shown on the label's public page and in the public notices, beside the new status."),
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

    @classmethod
    def for_action(cls, action: LabelAction, **kwargs: object) -> LabelStatusForm:
        form = cls(prefix=action.value, **kwargs)
        form.reason_code.choices = [(code.value, code.label) for code in REASONS[action]]
        if action is not LabelAction.SUSPEND:
            del form.resolve_by
        return form

    def evidence_hashes(self) -> list[str]:
        return [line.strip() for line in (self.evidence.data or "").splitlines() if line.strip()]


class RenewalForm(FlaskForm):
    """The holder's button that opens a renewal application: nothing to fill in but the CSRF token."""


class ChangeReportForm(FlaskForm):
    """The holder reports a change to a labelled product: what changed and how."""

    what = SelectField(
        _l("What changed"),
        choices=[(kind.value, label) for kind, label in CHANGE_KIND_LABELS.items()],
        validators=[DataRequired(message=_l("Say what changed: the product, the factory or the footprint."))],
    )
    description = TextAreaField(
        _l("Describe the change"),
        validators=[no_bidi_controls, DataRequired(message=_l("Describe the change.")), Length(max=5000)],
        description=_l("Seen by the certification body, which evaluates the change like a new application."),
    )
