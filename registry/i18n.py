"""Languages: Chinese (zh_CN, the default) and English, chosen by a cookie, then Accept-Language.

Babel expands "zh_CN" to its full name "zh_Hans_CN" (Simplified Chinese, China) and looks the catalogue up
under that name, which is why the catalogue folder is registry/translations/zh_Hans_CN.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from babel import Locale
from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import force_locale, get_locale

LANGUAGE_COOKIE = "lang"
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


@cache
def _parsed(code: str) -> Locale:
    return Locale.parse(code)


def locale_for_request() -> Locale:
    """Flask-Babel's locale selector. It hands Babel a parsed ``Locale``: Babel's own parsing of a code looks the
    code up among every locale it knows, which cost more than half a millisecond on each request."""
    return _parsed(select_locale())


def select_locale() -> str:
    if not has_request_context():  # a CLI command: the default, unless it forces another (flask_babel.force_locale)
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen is not None and chosen in languages:
        return chosen
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    if best == "en":
        return "en"
    if best in ("zh-CN", "zh"):
        return "zh_CN"
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def current_language() -> str:
    """ "zh_CN" or "en". (Babel spells the parsed Chinese locale "zh_Hans_CN", so compare languages.)"""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh_CN"


@contextmanager
def in_language(code: str) -> Iterator[None]:
    """``flask_babel.force_locale`` that also works in a CLI command: Flask-Babel keeps the forced locale on ``g``
    and silently forces nothing while ``g`` is empty, which it is in a command's app context."""
    if has_app_context():
        g.setdefault("_language_forced", True)
    with force_locale(code):
        yield
