"""The e-mails of the accounts domain, in Chinese and then English: the reader's language is not known."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l

from registry.accounts.models import Role
from registry.i18n import in_language
from registry.notifications.mail import Mail
from registry.organisations.models import Organisation

_CONFIRM_SUBJECT = _l("Confirm the registration of your enterprise")
_CONFIRM_BODY = _l(
    "To finish registering %(organisation)s on the carbon footprint label registry, open this link within "
    "%(hours)d hours:\n\n%(link)s\n\nIf you did not register, ignore this message: nothing is kept."
)
_TAKEN_SUBJECT = _l("Someone tried to register with your e-mail address")
_TAKEN_BODY = _l(
    "Someone tried to register an enterprise on the carbon footprint label registry with this e-mail address, "
    "which already has an account. No new account was made.\n\nIf it was you, sign in instead: %(link)s\n\n"
    "If it was not you, you can ignore this message."
)
_INVITED_SUBJECT = _l("An invitation to an address that already has an account")
_INVITED_BODY = _l(
    "%(organisation)s invited this e-mail address to join its staff as %(role)s, but the address already has an "
    "account on the carbon footprint label registry, so the invitation cannot be accepted.\n\nIf you expected it, "
    "tell the person who invited you; otherwise you can ignore this message."
)

_LOCALES = ("zh_CN", "en")


def _bilingual(to: str, subject: Any, body: Any, params: Callable[[str], dict[str, Any]]) -> Mail:
    subjects, bodies = [], []
    for locale in _LOCALES:
        with in_language(locale):
            values = params(locale)
            subjects.append(str(subject))
            bodies.append(str(body) % values)
    return Mail(to=to, subject=" / ".join(subjects), body="\n\n----\n\n".join(bodies) + "\n")


def confirm_registration(
    to: str, organisation_name_zh: str, organisation_name_en: str | None, *, hours: int, link: str
) -> Mail:
    def params(locale: str) -> dict[str, Any]:
        name = organisation_name_en if locale == "en" and organisation_name_en else organisation_name_zh
        return {"organisation": name, "hours": hours, "link": link}

    return _bilingual(to, _CONFIRM_SUBJECT, _CONFIRM_BODY, params)


def address_already_registered(to: str, *, sign_in_link: str) -> Mail:
    return _bilingual(to, _TAKEN_SUBJECT, _TAKEN_BODY, lambda _locale: {"link": sign_in_link})


def invitation_to_existing_account(to: str, organisation: Organisation, role: Role) -> Mail:
    def params(locale: str) -> dict[str, Any]:
        return {"organisation": organisation.display_name(locale), "role": role.label}

    return _bilingual(to, _INVITED_SUBJECT, _INVITED_BODY, params)
