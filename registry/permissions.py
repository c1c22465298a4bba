"""Coarse permissions: which role may do what, and the decorators every view declares.

Two layers (docs/architecture.md, "Where the rules live"). Here, the coarse one: a role → permission map and ``@requires(...)`` / ``@public`` on
every view (``tests/test_permissions.py`` walks ``app.url_map`` to prove none is missing). The fine layer is
``can_<verb>(user, obj)`` in each domain's ``permissions.py``, used by views, services and templates alike.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from registry.accounts.models import Role

F = TypeVar("F", bound=Callable[..., Any])


class Permission(enum.StrEnum):
    VIEW_DASHBOARD = "dashboard:view"
    CHANGE_OWN_PASSWORD = "account:change_password"
    MANAGE_OWN_PRODUCTS = "products:manage_own"
    VIEW_ALL_PRODUCTS = "products:view_all"
    MANAGE_BODY_STAFF = "staff:manage_body"
    VIEW_ORGANISATIONS = "organisations:view_all"
    MANAGE_ORGANISATIONS = "organisations:manage"
    VIEW_OWN_AUDIT = "audit:view_own_organisation"
    VIEW_ALL_AUDIT = "audit:view_all"
    VIEW_APPLICATIONS = "applications:view"
    APPLY = "applications:apply"
    REVIEW_APPLICATIONS = "applications:review"
    EVALUATE = "applications:evaluate"
    DECIDE = "applications:decide"
    DECLARE_RELATIONS = "relations:declare"
    VIEW_LABELS = "labels:view"
    CHANGE_LABEL_STATUS = "labels:change_status"
    ISSUE_ORDERS = "supervision:issue_orders"
    MANAGE_DISHONEST_LIST = "supervision:manage_dishonest_list"
    RUN_SPOT_CHECKS = "inspections:run"
    HANDLE_COMPLAINTS = "complaints:handle"


_EVERY_SIGNED_IN_USER = {Permission.VIEW_DASHBOARD, Permission.CHANGE_OWN_PASSWORD}

# Everyone who works on certification files sees the applications and labels their organisation has a part in.
_CERTIFICATION = {Permission.VIEW_APPLICATIONS, Permission.VIEW_LABELS}
_BODY_STAFF = _CERTIFICATION | {Permission.DECLARE_RELATIONS}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.APPLICANT: frozenset(
        _EVERY_SIGNED_IN_USER
        | _CERTIFICATION
        | {Permission.MANAGE_OWN_PRODUCTS, Permission.VIEW_OWN_AUDIT, Permission.APPLY}
        | {Permission.CHANGE_LABEL_STATUS}  # cancel its own labels (registry.labels.lifecycle says which and when)
    ),
    Role.BODY_ADMIN: frozenset(
        _EVERY_SIGNED_IN_USER
        | _BODY_STAFF
        | {Permission.MANAGE_BODY_STAFF, Permission.VIEW_OWN_AUDIT, Permission.REVIEW_APPLICATIONS}
        | {Permission.CHANGE_LABEL_STATUS}
        | {Permission.HANDLE_COMPLAINTS}  # its own labels' complaints (registry.complaints.permissions)
    ),
    Role.VERIFIER: frozenset(_EVERY_SIGNED_IN_USER | _BODY_STAFF | {Permission.EVALUATE}),
    # Decision makers may also be assigned to verify a file (then they cannot decide that one).
    Role.DECISION_MAKER: frozenset(_EVERY_SIGNED_IN_USER | _BODY_STAFF | {Permission.EVALUATE, Permission.DECIDE}),
    Role.REGULATOR: frozenset(
        _EVERY_SIGNED_IN_USER
        | _CERTIFICATION
        | {Permission.VIEW_ORGANISATIONS, Permission.VIEW_ALL_PRODUCTS}
        | {Permission.VIEW_OWN_AUDIT, Permission.VIEW_ALL_AUDIT}
        | {Permission.CHANGE_LABEL_STATUS}
        | {Permission.ISSUE_ORDERS, Permission.MANAGE_DISHONEST_LIST}  # registry.supervision: the regulator's console
        | {Permission.RUN_SPOT_CHECKS}  # draw spot checks, record their results (registry.inspections.permissions)
        | {Permission.HANDLE_COMPLAINTS}
    ),
    Role.SITE_ADMIN: frozenset(
        _EVERY_SIGNED_IN_USER
        | {Permission.VIEW_ORGANISATIONS, Permission.MANAGE_ORGANISATIONS}
        | {Permission.VIEW_OWN_AUDIT, Permission.VIEW_ALL_AUDIT}
    ),
}


def has_permission(user: Any, permission: Permission) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


def requires(permission: Permission) -> Callable[[F], F]:
    """Only signed-in users whose role carries ``permission`` get through; others are sent to sign in (401
    handler) or refused (403)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                abort(401)
            if not has_permission(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.registry_permission = permission  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def public(view: F) -> F:
    """Marks a view anyone may open, signed in or not. Public views must never show confidential data."""
    view.registry_public = True  # type: ignore[attr-defined]
    return view


def signed_in(view: F) -> F:
    """Any signed-in user, whatever the role (sign-out, the role-neutral pages)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            abort(401)
        return view(*args, **kwargs)

    wrapped.registry_permission = "signed_in"  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]
