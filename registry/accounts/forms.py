from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from registry.accounts.passwords import MIN_LENGTH
from registry.forms import no_bidi_controls

_required = DataRequired(message=_l("This field is required."))
_email = Email(message=_l("Enter a valid e-mail address, like name@example.com."), check_deliverability=False)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[_required, Length(max=254)])
    password = PasswordField(_l("Password"), validators=[_required, Length(max=256)])


class RegisterEnterpriseForm(FlaskForm):
    organisation_name_zh = StringField(
        _l("Registered name (Chinese)"), validators=[no_bidi_controls, _required, Length(max=200)]
    )
    organisation_name_en = StringField(
        _l("Name in English (optional)"), validators=[no_bidi_controls, Optional(), Length(max=200)]
    )
    uscc = StringField(
        _l("Unified social credit code"),
        validators=[_required, Length(max=40)],
        description=_l("18 characters, as printed on the business licence."),
    )
    name = StringField(_l("Your name"), validators=[no_bidi_controls, _required, Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[_required, _email, Length(max=254)])
    password = PasswordField(
        _l("Password"),
        validators=[
            _required,
            Length(min=MIN_LENGTH, max=256, message=_l("Use between %(min)d and %(max)d characters.")),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the password"), validators=[_required, EqualTo("password", message=_l("The two passwords differ."))]
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[_required])
    new_password = PasswordField(
        _l("New password"),
        validators=[
            _required,
            Length(min=MIN_LENGTH, max=256, message=_l("Use between %(min)d and %(max)d characters.")),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[_required, EqualTo("new_password", message=_l("The two passwords differ."))],
    )


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[_required, _email, Length(max=254)])
    role = SelectField(_l("Role"), validators=[_required])


class AcceptInvitationForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[no_bidi_controls, _required, Length(max=120)])
    password = PasswordField(
        _l("Password"),
        validators=[
            _required,
            Length(min=MIN_LENGTH, max=256, message=_l("Use between %(min)d and %(max)d characters.")),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the password"), validators=[_required, EqualTo("password", message=_l("The two passwords differ."))]
    )


class LinkCodeForm(FlaskForm):
    """The one-time code of an e-mailed link, which travels in the link's fragment and is posted by the page."""

    code = StringField(
        _l("Code from the link"),
        validators=[_required, Length(max=100)],
        description=_l("The part of the link after the # sign."),
        render_kw={"data-link-code": True, "autocomplete": "off"},
    )
