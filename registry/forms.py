"""Form helpers shared by every domain."""

from __future__ import annotations

from flask_wtf import FlaskForm

from registry.errors import ServiceError


def attach_service_error(form: FlaskForm, error: ServiceError) -> None:
    """Show a service's refusal on the field it names (or on the form), keeping what the user typed."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)] if isinstance(field.errors, list) else [str(error.message)]
    else:
        form.form_errors.append(str(error.message))
