"""Enums whose members are shown to people by name (registry/enums.py)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import lazy_gettext as _l

import registry.applications.workflow  # defines Action, a labelled enum outside the models
import registry.models  # noqa: F401 - defines every labelled enum of the models
from registry.enums import LabelledEnum, labels_for


def _labelled_enums() -> list[type[LabelledEnum]]:
    found, pending = [], list(LabelledEnum.__subclasses__())
    while pending:
        enum_class = pending.pop()
        found.append(enum_class)
        pending.extend(enum_class.__subclasses__())
    return sorted(found, key=lambda enum_class: enum_class.__name__)


def test_an_enum_with_a_member_left_unnamed_is_refused_when_it_is_defined():
    class Colour(LabelledEnum):
        RED = "red"
        GREEN = "green"

    with pytest.raises(TypeError, match="Colour has no label for green"):
        labels_for(Colour, {Colour.RED: _l("Red")})


@pytest.mark.parametrize("enum_class", _labelled_enums(), ids=lambda enum_class: enum_class.__name__)
def test_every_member_of_a_labelled_enum_has_a_name_in_each_language(app: Flask, enum_class: type[LabelledEnum]):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        english = {member: member.label for member in enum_class}
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        chinese = {member: member.label for member in enum_class}
    assert all(english.values()), english
    untranslated = [member.value for member in enum_class if chinese[member] == english[member]]
    assert not untranslated, f"{enum_class.__name__}: no Chinese name for {untranslated}"
