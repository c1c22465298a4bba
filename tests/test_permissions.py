"""Every route declares who may use it, and the declarations hold."""

from __future__ import annotations

import pytest

from registry.permissions import ROLE_PERMISSIONS, Permission
from tests.conftest import DEMO_ROLE_LOGINS, login_as

# Flask's own static file view cannot carry our marker; it serves only files under static/.
FRAMEWORK_ENDPOINTS = {"static"}


def test_every_route_declares_a_permission_or_is_public(app):
    undeclared = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in FRAMEWORK_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        if not (getattr(view, "registry_public", False) or getattr(view, "registry_permission", None)):
            undeclared.append(f"{rule.rule} ({rule.endpoint})")
    assert undeclared == [], f"routes without @requires/@public/@signed_in: {undeclared}"


def _protected_get_urls(app):
    urls = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint in FRAMEWORK_ENDPOINTS or getattr(view, "registry_public", False):
            continue
        if "GET" not in rule.methods:
            continue
        values = dict.fromkeys(rule.arguments, 1)
        urls.append((rule.rule, rule.endpoint, values))
    return urls


def test_anonymous_visitors_are_sent_to_sign_in_from_every_protected_page(app, client):
    with app.test_request_context():
        from flask import url_for

        urls = [url_for(endpoint, **values) for _rule, endpoint, values in _protected_get_urls(app)]
    assert urls, "no protected pages found"
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"], url


def test_anonymous_posts_to_protected_views_are_refused(client):
    from tests.conftest import csrf_token

    assert client.post("/logout").status_code == 400  # no CSRF token: refused before any view runs
    token = csrf_token(client, "/login")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 401  # a valid token, but nobody signed in


ROLE_PAGES = {
    "/products/": Permission.MANAGE_OWN_PRODUCTS,
    "/products/all": Permission.VIEW_ALL_PRODUCTS,
    "/staff": Permission.MANAGE_BODY_STAFF,
    "/organisations/": Permission.VIEW_ORGANISATIONS,
    "/organisations/new": Permission.MANAGE_ORGANISATIONS,
    "/audit/": Permission.VIEW_OWN_AUDIT,
    "/dashboard/": Permission.VIEW_DASHBOARD,
    "/account/password": Permission.CHANGE_OWN_PASSWORD,
    "/complaints/manage": Permission.HANDLE_COMPLAINTS,
}


@pytest.mark.parametrize("role", sorted(DEMO_ROLE_LOGINS))
@pytest.mark.parametrize("path", sorted(ROLE_PAGES))
def test_role_permission_matrix(client, role, path):
    from registry.accounts.models import Role

    login_as(client, role)
    allowed = ROLE_PAGES[path] in ROLE_PERMISSIONS[Role(role)]
    response = client.get(path)
    assert response.status_code == (200 if allowed else 403), (role, path, response.status_code)
