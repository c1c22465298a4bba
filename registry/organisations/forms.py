from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from registry.forms import no_bidi_controls
from registry.organisations.models import OrganisationKind

_required = DataRequired(message=_l("This field is required."))


class OrganisationForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=OrganisationKind.choices(), validators=[_required])
    name_zh = StringField(_l("Registered name (Chinese)"), validators=[no_bidi_controls, _required, Length(max=200)])
    name_en = StringField(_l("Name in English (optional)"), validators=[no_bidi_controls, Optional(), Length(max=200)])
    uscc = StringField(
        _l("Unified social credit code"),
        validators=[Optional(), Length(max=40)],
        description=_l("Required for enterprises; 18 characters, as printed on the business licence."),
    )
    accreditation_number = StringField(
        _l("Accreditation number"),
        validators=[no_bidi_controls, Optional(), Length(max=64)],
        description=_l("Certification bodies only: the approval number of the certification body."),
    )
    body_code = StringField(
        _l("Short code"),
        validators=[Optional(), Length(max=10)],
        description=_l(
            "Certification bodies only: 2 to 6 letters or digits, used in certificate numbers and signed labels."
        ),
    )
    contact_email = EmailField(
        _l("Contact e-mail"), validators=[Optional(), Email(check_deliverability=False), Length(max=254)]
    )
    website = StringField(_l("Website"), validators=[no_bidi_controls, Optional(), Length(max=300)])


class InviteFirstMemberForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[_required, Email(message=_l("Enter a valid e-mail address."), check_deliverability=False)],
    )
    role = SelectField(_l("Role"), validators=[_required])
