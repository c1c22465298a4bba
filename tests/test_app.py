"""Configuration, security headers and error pages."""

from __future__ import annotations

import pytest

from registry import config, create_app
from registry.cli import ensure_secret_key
from registry.config import ConfigurationError
from tests.conftest import TEST_KEK, make_test_app


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.setenv("REGISTRY_ENV", "production")
    monkeypatch.setenv("REGISTRY_DATABASE_URL", "postgresql+psycopg://registry@db.invalid/registry")
    monkeypatch.delenv("REGISTRY_SECRET_KEY", raising=False)
    monkeypatch.setattr(config, "SECRET_KEY_FILE", "no-such-secret-key-file")
    with pytest.raises(ConfigurationError, match="secret key"):
        create_app()


def test_production_refuses_to_start_without_a_database(monkeypatch):
    monkeypatch.setenv("REGISTRY_ENV", "production")
    monkeypatch.setenv("REGISTRY_SECRET_KEY", "x" * 64)
    monkeypatch.delenv("REGISTRY_DATABASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="database"):
        create_app()


def test_production_switches_demo_mode_off_and_refuses_it(monkeypatch):
    monkeypatch.setenv("REGISTRY_ENV", "production")
    monkeypatch.setenv("REGISTRY_SECRET_KEY", "x" * 64)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", "postgresql+psycopg://registry@db.invalid/registry")
    monkeypatch.setenv("REGISTRY_KEY_ENCRYPTION_KEY", TEST_KEK)
    assert create_app().config["DEMO_MODE"] is False
    monkeypatch.setenv("REGISTRY_DEMO_MODE", "true")
    with pytest.raises(ConfigurationError, match="Demo mode"):
        create_app()


def test_production_refuses_to_start_without_a_key_encryption_key(monkeypatch):
    monkeypatch.setenv("REGISTRY_ENV", "production")
    monkeypatch.setenv("REGISTRY_SECRET_KEY", "x" * 64)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", "postgresql+psycopg://registry@db.invalid/registry")
    monkeypatch.setattr(config, "KEK_FILE", "no-such-kek-file")
    with pytest.raises(ConfigurationError, match="key-encryption key"):
        create_app()


@pytest.mark.parametrize("bad", ["short", "x" * 43 + "!", "A" * 44])
def test_a_malformed_key_encryption_key_is_refused_without_echoing_it(monkeypatch, bad):
    monkeypatch.setenv("REGISTRY_KEY_ENCRYPTION_KEY", bad)
    with pytest.raises(ConfigurationError, match="32 random bytes") as raised:
        create_app({"DATABASE_URL": "sqlite://", "KEY_ENCRYPTION_KEY": bad})
    assert bad not in str(raised.value)


def test_environment_overrides_the_defaults(monkeypatch):
    monkeypatch.setenv("REGISTRY_PUBLIC_HOST", "labels.example.cn")
    monkeypatch.setenv("REGISTRY_SECRET_KEY", "from-the-environment")
    app = create_app()
    assert app.config["PUBLIC_HOST"] == "labels.example.cn"
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["DATABASE_URL"].startswith("sqlite:///") and app.config["DATABASE_URL"].endswith(
        "registry.sqlite3"
    )


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path):
    app = create_app({"DATABASE_URL": "sqlite://"})
    app.instance_path = str(tmp_path)
    assert ensure_secret_key(app) is True
    key = (tmp_path / "secret_key").read_text().strip()
    assert len(key) == 64 and app.config["SECRET_KEY"] == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert ensure_secret_key(app) is False


def test_unknown_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv("REGISTRY_ENV", "staging")
    with pytest.raises(ConfigurationError, match="development"):
        create_app()


EXPECTED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def _assert_security_headers(response):
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp


@pytest.mark.parametrize("path", ["/", "/login", "/schemes/", "/no-such-page", "/static/css/registry.css"])
def test_security_headers_on_pages_and_errors(client, path):
    _assert_security_headers(client.get(path))


def test_security_headers_and_a_plain_page_on_a_server_error(database_url, session_factory):
    from registry.database import db

    app = make_test_app(database_url, TESTING=False, PROPAGATE_EXCEPTIONS=False)
    db.bind_sessions(app, session_factory)

    @app.route("/boom")
    def boom():
        raise RuntimeError("internal detail that must not leak")

    boom.registry_public = True
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.get("/boom")
    assert response.status_code == 500
    _assert_security_headers(response)
    body = response.get_data(as_text=True)
    assert "nothing was saved" in body and "internal detail" not in body


def test_no_inline_script_in_any_page(client):
    from tests.conftest import sign_in

    sign_in(client, "admin@example.com")
    for path in ["/", "/dashboard/", "/organisations/", "/schemes/cement", "/audit/"]:
        assert "<script" not in client.get(path).get_data(as_text=True), path


def test_404_page_is_helpful(client):
    response = client.get("/definitely/not/here")
    assert response.status_code == 404
    assert "Check the link" in response.get_data(as_text=True)


def test_api_clients_get_json_errors(client):
    response = client.get("/api/v1/nothing-yet")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


def test_a_busy_sqlite_database_gets_a_try_again_page_not_a_500(database_url, session_factory):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from registry.database import db

    app = make_test_app(database_url, TESTING=False, PROPAGATE_EXCEPTIONS=False)
    db.bind_sessions(app, session_factory)

    @app.route("/busy")
    def busy():
        raise OperationalError("UPDATE applications …", {}, sqlite3.OperationalError("database is locked"))

    busy.registry_public = True
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.get("/busy")
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "nothing was saved" in body and "UPDATE applications" not in body
