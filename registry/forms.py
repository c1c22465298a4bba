"""Form handling shared by every domain: validate, call one service, commit once, or show what to fix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeAlias, TypeVar

from flask import request
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.validators import ValidationError

from registry.database import db
from registry.edge import commit
from registry.errors import ServiceError
from registry.text import bidi_controls_in, bidi_refusal

T = TypeVar("T")


@dataclass(frozen=True)
class Done(Generic[T]):
    """The action ran and its transaction is committed."""

    result: T
    status: int = 200
    done: Literal[True] = True


@dataclass(frozen=True)
class NotDone:
    """Nothing was saved: a plain GET, an invalid form or a refused action."""

    status: int
    result: None = None
    done: Literal[False] = False


# ``if outcome.done:`` tells a type checker which of the two it holds, and so that the result is there.
Submission: TypeAlias = Done[T] | NotDone


def submit(form: FlaskForm, action: Callable[[], T]) -> Submission[T]:
    """Run ``action`` (one service call) if the form was posted and is valid, then commit.

    A ServiceError rolls back and lands on the field it names, so the form is re-rendered with what the user
    typed and the reason; the status says 400 (or the error's own) for a refused POST, 200 for a plain GET.
    """
    if form.validate_on_submit():
        try:
            result = action()
        except ServiceError as error:
            db.session.rollback()
            attach_service_error(form, error)
            return NotDone(error.status)
        commit()
        return Done(result)
    return NotDone(400 if request.method == "POST" else 200)


def filled(field: Field) -> str:
    """The text of a field its validators require (``DataRequired``), read once the form has validated. WTForms
    types every field's data as optional, as a field that was not posted has none."""
    if not isinstance(field.data, str):
        raise TypeError(f"{field.name} holds no text: read it once the form has validated")
    return field.data


def attach_service_error(form: FlaskForm, error: ServiceError) -> None:
    """Show a service's refusal on the field it names (or on the form), keeping what the user typed."""
    field: Any = getattr(form, error.field, None) if error.field else None
    messages = [str(m) for m in error.messages]
    if field is not None:
        field.errors = [*field.errors, *messages] if isinstance(field.errors, list) else messages
    else:
        form.form_errors.extend(messages)


class NoBidiControls:
    """Refuses text holding characters that change its direction (``registry.text``), on every free-text field
    whose value is shown again; the services refuse the same, for the paths that bypass forms."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        found = bidi_controls_in(field.data) if isinstance(field.data, str) else []
        if found:
            raise ValidationError(str(bidi_refusal(found)))


no_bidi_controls = NoBidiControls()
