"""The links to the accounts' pages that other pages hand out (the organisations' page invites staff too)."""

from __future__ import annotations

from flask import url_for


def invitation_url(token: str) -> str:
    """The link an invited person opens. The token is in the fragment, which browsers never send, so it stays out
    of access logs; the page's script posts it."""
    return url_for("accounts.accept_invitation", _external=True) + "#" + token
