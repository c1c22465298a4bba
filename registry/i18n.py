"""Languages: Chinese (zh_CN, the default) and English, chosen by a cookie, then Accept-Language."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import get_locale

LANGUAGE_COOKIE = "lang"
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    # Accept-Language uses "zh-CN"/"zh"; werkzeug matches "zh_CN" against them.
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    if best in ("zh-CN", "zh"):
        return "zh_CN"
    if best == "en":
        return "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
