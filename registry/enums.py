"""Enums whose members have a name for people, in the reader's language."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import ClassVar, TypeVar

from flask_babel import LazyString

E = TypeVar("E", bound="LabelledEnum")


class LabelledEnum(enum.StrEnum):
    """A ``StrEnum`` stored by value whose ``.label`` is the member's translated name.

    The names are given once, after the class (its members only exist then), with ``labels_for``; the mapping
    it returns keeps a public name of its own, since forms list their choices from it.
    """

    __labels__: ClassVar[Mapping[LabelledEnum, LazyString]]

    @property
    def label(self) -> str:
        # Translated when read, not when defined: lazy strings follow the request's language.
        return str(type(self).__labels__[self])

    @classmethod
    def choices(cls) -> list[tuple[str, LazyString]]:
        """``(value, name)`` pairs for a form's choices, the names left lazy: a form class is built once, at
        import, and ``.label`` there would freeze every name in the language of no request (English)."""
        members: list[LabelledEnum] = list(cls)
        return [(str(member), cls.__labels__[member]) for member in members]


def labels_for(enum_class: type[E], labels: Mapping[E, LazyString]) -> Mapping[E, LazyString]:
    """Give ``enum_class`` its members' names; a member left unnamed fails at import, not on a page."""
    missing = [member.value for member in enum_class if member not in labels]
    if missing:
        raise TypeError(f"{enum_class.__name__} has no label for {', '.join(missing)}")
    enum_class.__labels__ = labels  # type: ignore[assignment]  # the mapping is keyed by this subclass's members
    return labels
