"""The public report form and the handlers' forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp

from registry.complaints import services
from registry.complaints.models import ComplaintCategory, ComplaintHandler, ComplaintOutcome
from registry.forms import no_bidi_controls

_required = DataRequired(message=_l("This field is required."))


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=_l("At most %(count)d characters.", count=limit))


class ReportForm(FlaskForm):
    category = RadioField(
        _l("What is wrong?"),
        choices=ComplaintCategory.choices(),
        validators=[InputRequired(message=_l("Choose what is wrong with the label."))],
    )
    description = TextAreaField(
        _l("What did you find?"),
        validators=[
            no_bidi_controls,
            DataRequired(message=_l("Describe what you found.")),
            _at_most(services.DESCRIPTION_MAX),
        ],
        description=_l(
            "What you saw, and how it differs from this page. At most %(count)d characters.",
            count=services.DESCRIPTION_MAX,
        ),
    )
    seen_at = StringField(
        _l("Where did you see it? (optional)"),
        validators=[no_bidi_controls, Optional(), _at_most(services.SEEN_AT_MAX)],
        description=_l("A shop and city, an online platform, or a web address."),
    )
    contact_name = StringField(
        _l("Your name (optional)"), validators=[no_bidi_controls, Optional(), _at_most(services.NAME_MAX)]
    )
    contact_email = EmailField(
        _l("Your e-mail (optional)"),
        validators=[
            Optional(),
            _at_most(services.EMAIL_MAX),
            Email(message=_l("Enter a valid e-mail address, like name@example.com."), check_deliverability=False),
        ],
        description=_l("You will receive the reference number and be told when the outcome is published."),
    )
    contact_phone = StringField(
        _l("Your telephone (optional)"),
        validators=[
            Optional(),
            _at_most(services.PHONE_MAX),
            Regexp(
                services.PHONE_PATTERN.pattern,
                message=_l("Enter a telephone number of digits, spaces and dashes, like +86 10 1234 5678."),
            ),
        ],
    )
    photo = FileField(
        _l("A photo of the label or product (optional)"),
        description=_l("JPEG or PNG."),  # the view adds the configured size
        render_kw={"accept": "image/jpeg,image/png"},
    )


class LookupForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that only reads

    reference = StringField(
        _l("Reference number"),
        validators=[_required, _at_most(64)],
        description=_l("Like TS-4K7M2Q9PXW3R8; spaces and dashes do not matter."),
    )


class NoteForm(FlaskForm):
    text = TextAreaField(
        _l("Internal note"),
        validators=[no_bidi_controls, DataRequired(message=_l("Write the note.")), _at_most(services.NOTE_MAX)],
        description=_l("Seen only by the body and the regulator, never by the reporter or the public."),
    )


class AssignForm(FlaskForm):
    handler = SelectField(_l("Handled by"), choices=ComplaintHandler.choices(), validators=[_required])


class ReviewForm(FlaskForm):
    pass


class CloseForm(FlaskForm):
    outcome = RadioField(
        _l("Outcome"),
        choices=ComplaintOutcome.choices(),
        validators=[InputRequired(message=_l("Choose the outcome."))],
    )
    outcome_text = TextAreaField(
        _l("Published outcome"),
        validators=[
            no_bidi_controls,
            DataRequired(message=_l("Write the outcome the reporter and the public will read.")),
            _at_most(services.OUTCOME_MAX),
        ],
        description=_l(
            "Public: anyone with the reference reads it. Say what was found and what follows; no personal data."
        ),
    )
