from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from registry.forms import no_bidi_controls

_required = DataRequired(message=_l("This field is required."))


class ProductForm(FlaskForm):
    category_code = SelectField(_l("Product category"), validators=[_required])
    name_zh = StringField(_l("Product name (Chinese)"), validators=[no_bidi_controls, _required, Length(max=200)])
    name_en = StringField(
        _l("Product name in English (optional)"), validators=[no_bidi_controls, Optional(), Length(max=200)]
    )
    model = StringField(_l("Model / specification"), validators=[no_bidi_controls, _required, Length(max=120)])
    trademark = StringField(_l("Trademark (optional)"), validators=[no_bidi_controls, Optional(), Length(max=120)])
    factory = StringField(
        _l("Factory / production site (optional)"), validators=[no_bidi_controls, Optional(), Length(max=300)]
    )
    gtin = StringField(
        _l("GTIN (optional)"),
        validators=[Optional(), Length(max=20)],
        description=_l("The barcode number: 8, 12, 13 or 14 digits. Leave empty if the product has none."),
    )
