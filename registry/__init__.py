"""The carbon footprint label registry (产品碳足迹标识登记系统).

Importing the package imports nothing but the standard library: ``registry.verifier`` lives in it and must run
where only cbor2 and cryptography are installed (tests/verifier/test_standalone.py), so Flask is imported only
when an app is made.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Wire configuration, extensions, blueprints, error handlers and CLI commands; nothing else."""
    from flask import Flask

    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )

    from registry import config

    config.load_config(app, test_config)
    if app.config["KEY_ENCRYPTION_KEY"]:
        from registry.keys.crypto import install_kek

        install_kek(app.config["KEY_ENCRYPTION_KEY"])

    from registry import cli, errors, security, web
    from registry.database import db

    db.init_app(app)
    web.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    return app
