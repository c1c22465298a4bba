"""One place that turns errors into pages (or JSON for API clients) in the user's language."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask, Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    401: (_l("Please sign in"), _l("This page is for signed-in users.")),
    403: (
        _l("Not allowed"),
        _l("Your role does not allow this. Ask your organisation's administrator if you need it."),
    ),
    404: (_l("Not found"), _l("There is nothing at this address. Check the link, or start again from the home page.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    503: (
        _l("The registry is busy"),
        _l("Too many changes arrived at the same moment, so nothing was saved. Try again in a moment."),
    ),
    409: (
        _l("Already changed"),
        _l("Someone changed this at the same time. Reload the page to see the current state."),
    ),
    413: (_l("Upload too large"), _l("The file is larger than the registry accepts. Make it smaller and try again.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Wait a few minutes, then try again.")),
    500: (
        _l("Something went wrong"),
        _l("The registry could not finish this request; nothing was saved. Try again later."),
    ),
}


def _wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def render_error(status: int, detail: str | None = None) -> tuple[Response | str, int]:
    title, message = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    if _wants_json():
        from flask import jsonify

        return jsonify(error={"status": status, "title": str(title), "message": str(detail or message)}), status
    return render_template("errors/error.html", status=status, title=title, message=detail or message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[Response | str, int]:
        return render_error(
            400,
            str(
                _l(
                    "The form expired or was sent from another site, so nothing was saved. Reload the page and send it again."
                )
            ),
        )

    @app.errorhandler(401)
    def _unauthorised(_error: HTTPException) -> ResponseReturnValue:
        if _wants_json() or request.method != "GET":
            return render_error(401)
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[Response | str, int]:
        # The exception's own description is never shown: it may carry internals (limiter keys, paths).
        return render_error(error.code or 500)

    from sqlalchemy.exc import OperationalError

    @app.errorhandler(OperationalError)
    def _database_busy(error: OperationalError) -> tuple[Response | str, int]:
        # SQLite's write lock held past the busy timeout: the request rolled back; say so instead of a 500.
        if "database is locked" in str(error.orig):
            from registry.database import db

            db.session.rollback()
            return render_error(503)
        raise error

    @app.errorhandler(InternalServerError)
    def _internal(_error: InternalServerError) -> tuple[Response | str, int]:
        # Flask has logged the traceback already; SQL parameters are hidden from it (make_engine).
        return render_error(500)


class ServiceError(Exception):
    """A rule a service refuses to break, with a message for the person who asked and, for forms, the field.

    Views turn it into a form error (or a JSON error); nothing has been written when it is raised, because
    services check before they change anything and the edge rolls back on any exception.
    """

    def __init__(
        self, message: object, *, field: str | None = None, status: int = 400, also: Sequence[object] = ()
    ) -> None:
        # Several problems at once (``also``): each stays its own sentence, shown one per line on a form.
        self.messages: list[object] = [message, *also]
        super().__init__(" ".join(str(m) for m in self.messages))
        self.message: object = message if not also else Sentences(self.messages)
        self.field = field
        self.status = status


class Sentences:
    """Several messages read as one text (JSON, command line): each a sentence, joined by a space; translated
    when read, like a lazy string."""

    def __init__(self, messages: Sequence[object]) -> None:
        self.messages = list(messages)

    def __str__(self) -> str:
        return " ".join(str(m) for m in self.messages)
