"""Languages: Chinese (zh_CN, the default) and English, chosen by a cookie, then Accept-Language.

Babel expands "zh_CN" to its full name "zh_Hans_CN" (Simplified Chinese, China) and looks the catalogue up
under that name, which is why the catalogue folder is registry/translations/zh_Hans_CN.
"""

from __future__ import annotations

from functools import cache

from babel import Locale
from flask import current_app, request
from flask_babel import get_locale

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
    """"zh_CN" or "en". (Babel spells the parsed Chinese locale "zh_Hans_CN", so compare languages.)"""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh_CN"
