"""No input makes a public address answer 5xx: Hypothesis fills every public GET route's path variables and every
query parameter the registry reads with arbitrary text (NUL, bidi controls, huge numbers, crafted paging cursors,
any Unicode a URL can carry), and posts arbitrary JSON (and JSON-looking bytes, nested thousands deep) to every
public JSON endpoint. Both engines: PostgreSQL refuses some text SQLite stores.

The routes are read from ``app.url_map`` (as tests/test_permissions.py does), and the parameter names from the
registry's own source, so a new public route or parameter is fuzzed without touching this file."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from registry import PROJECT_ROOT
from tests.conftest import make_test_app

# Every name the registry reads from a query string: ``args.get("q")``, ``args.getlist("id")`` anywhere.
PARAMETER_NAMES = sorted(
    {
        name
        for path in Path(PROJECT_ROOT, "registry").rglob("*.py")
        for name in re.findall(r"""args\.get(?:list)?\(\s*["']([^"']+)["']""", path.read_text(encoding="utf-8"))
    }
)


def _public_rules(methods: set[str]) -> list:  # type: ignore[type-arg]
    app = make_test_app("sqlite://")  # only its url map is read
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if getattr(app.view_functions[rule.endpoint], "registry_public", False) and methods & rule.methods
        ),
        key=lambda rule: rule.rule,
    )


PUBLIC_GET_RULES = list(_public_rules({"GET"}))
JSON_RULES = [rule for rule in _public_rules({"POST"}) if rule.rule.startswith("/api/")]


def _cursor(key: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
# What has broken, or could break, a parser or a database: first, so that Hypothesis tries them early.
NASTY = [
    "\x00",
    "abc\x00def",
    "\u202e1234",
    "9" * 40,
    "-" + "9" * 40,
    "1e40",
    "NaN",
    "-Infinity",
    "²",
    "٠٦٩٠١٢٣٤٥٦٧٨٩٢",
    "06901234567892\x00",
    "'; --",
    "%",
    "\\",
    "W3RydWVd",
    _cursor([10**30]),
    _cursor(["NaN", 1]),
    _cursor(1e40),
    _cursor(["1e40", 1]),
    _cursor([2**63]),
    _cursor(["1", True]),
]
# URLs carry UTF-8 only: any character but a lone surrogate.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)) | st.sampled_from(BIDI), max_size=40)
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | TEXT
CURSORS = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3), max_leaves=4).map(_cursor)
VALUES = st.sampled_from(NASTY) | TEXT | st.integers().map(str) | CURSORS
PARAMETERS = st.lists(st.tuples(st.sampled_from(PARAMETER_NAMES) | TEXT, VALUES), max_size=6)
SEGMENTS = st.lists(st.sampled_from(NASTY) | TEXT | st.integers(min_value=0).map(str), min_size=5, max_size=5)
LANGUAGES = st.sampled_from(["en", "zh-CN"])

FUZZ = settings(
    max_examples=12,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _url(rule, segments: list[str], parameters: list[tuple[str, str]]) -> str:  # type: ignore[no-untyped-def]
    values = iter(segments)

    def fill(match: re.Match[str]) -> str:
        value = next(values)
        if match.group(1) == "int":  # the route takes only digits: anything else would not reach the view
            value = "".join(c for c in value if c in "0123456789") or "0"
        return quote(value, safe="")

    path = re.sub(r"<(?:([^:<>]+):)?[^<>]+>", fill, rule.rule)
    return path + ("?" + urlencode(parameters) if parameters else "")


def test_the_fuzzing_covers_the_public_routes_and_parameters():
    # A sanity check of the discovery above: if it broke, the fuzz tests below would quietly test nothing.
    assert {"/catalogue", "/lookup", "/api/v1/labels", "/enterprises/<uscc>"} <= {
        rule.rule for rule in PUBLIC_GET_RULES
    }
    assert {"q", "after", "sort", "limit", "id", "grade"} <= set(PARAMETER_NAMES)
    assert [rule.rule for rule in JSON_RULES] == ["/api/v1/verify"]


@pytest.mark.parametrize("rule", PUBLIC_GET_RULES, ids=lambda rule: rule.rule)
@FUZZ
@given(segments=SEGMENTS, parameters=PARAMETERS, language=LANGUAGES)
@example(segments=["\x00"] * 5, parameters=[(name, "\x00") for name in PARAMETER_NAMES], language="en")
@example(segments=["9" * 40] * 5, parameters=[("after", "W3RydWVd"), ("sort", "footprint")], language="zh-CN")
@example(segments=["-1"] * 5, parameters=[("after", _cursor([10**30]))], language="en")
@example(segments=["²"] * 5, parameters=[("after", _cursor(["NaN", 1])), ("sort", "-footprint")], language="en")
def test_no_public_page_answers_5xx(client, rule, segments, parameters, language):
    url = _url(rule, segments, parameters)
    response = client.get(url, headers={"Accept-Language": language})
    assert response.status_code < 500, url


JSON_BODIES = (
    st.recursive(
        JSON_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8
    ).map(json.dumps)
    | st.fixed_dictionaries({"url": VALUES}).map(json.dumps)
    | st.integers(min_value=1, max_value=20_000).map(lambda depth: "[" * depth + "]" * depth)
    | st.binary(max_size=64).map(lambda data: data.decode("latin-1"))
)


@pytest.mark.parametrize("rule", JSON_RULES, ids=lambda rule: rule.rule)
# Fewer examples than the endpoint's 120 requests a minute, so that every one reaches the view (a 429 would hide
# a 500).
@settings(FUZZ, max_examples=60)
@given(body=JSON_BODIES, language=LANGUAGES)
@example(body='{"url": "https://h/01/06901234567892#L1.\\u0000"}', language="en")
@example(body='{"url": "\\ud800"}', language="en")
@example(body="[" * 1000 + "]" * 1000, language="zh-CN")
@example(body='{"url": ' + "[" * 5000 + "]" * 5000 + "}", language="en")
def test_no_json_endpoint_answers_5xx(client, rule, body, language):
    response = client.post(
        rule.rule,
        data=body.encode("utf-8", "surrogatepass"),
        content_type="application/json",
        headers={"Accept-Language": language},
    )
    assert response.status_code < 500, body[:200]
