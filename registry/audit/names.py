"""The audit trail's codes named for people: what happened (``label:issue`` → "Label issued"), in what role, to
what. The stored codes stay as they are (they are the data); pages show these names with the code beside them.

A tag missing from ``EVENT_NAMES`` is named from its parts: its subject and, for the state machines'
tags written from their actions (``application:{action}``, ``label:{action}``), the action's own name; failing
that, the tag itself is shown (``tests/audit/test_event_names.py`` checks every tag the code writes has a name).
"""

from __future__ import annotations

from flask_babel import LazyString, lazy_gettext as _l

from registry.accounts.models import Role
from registry.applications.workflow import Action
from registry.labels.models import LabelAction

SUBJECT_NAMES: dict[str, LazyString] = {
    "account": _l("Account"),
    "application": _l("Application"),
    "complaint": _l("Complaint"),
    "finding": _l("Finding"),
    "inspections": _l("Spot check"),
    "invitation": _l("Invitation"),
    "key": _l("Signing key"),
    "label": _l("Label"),
    "organisation": _l("Organisation"),
    "product": _l("Product"),
    "registration": _l("Registration"),
    "relation": _l("Declared relation"),
    "scheme": _l("Scheme"),
    "supervision": _l("Supervision"),
    "surveillance": _l("Surveillance"),
    "user": _l("User"),
}

EVENT_NAMES: dict[str, LazyString] = {
    "account:change_password": _l("Password changed"),
    "application:create": _l("Application started"),
    "application:declare": _l("Conflict-of-interest declaration made"),
    "application:assign": _l("Verifiers assigned"),
    "application:document:upload": _l("Document uploaded"),
    "application:footprint:update": _l("Footprint study updated"),
    "application:line:add": _l("Activity line added"),
    "application:line:remove": _l("Activity line removed"),
    "evaluation:checklist:complete": _l("Checklist completed"),
    "evaluation:statement:sign": _l("Verification statement signed"),
    "scheme:version:add": _l("Scheme version added"),
    "user:login:failure": _l("Sign-in failed"),
    "user:login:success": _l("Signed in"),
    "user:password:change": _l("Password changed"),
    "complaint:assign": _l("Complaint assigned"),
    "complaint:close": _l("Complaint closed"),
    "complaint:note": _l("Note added to a complaint"),
    "complaint:receive": _l("Complaint received"),
    "complaint:review": _l("Complaint reviewed"),
    "finding:close": _l("Finding closed"),
    "finding:delete": _l("Finding deleted"),
    "finding:raise": _l("Finding raised"),
    "finding:respond": _l("Finding answered"),
    "inspections:draw": _l("Spot check drawn"),
    "inspections:result": _l("Spot-check result recorded"),
    "invitation:accept": _l("Invitation accepted"),
    "invitation:create": _l("Invitation sent"),
    "invitation:revoke": _l("Invitation revoked"),
    "key:create": _l("Signing key created"),
    "key:revoke": _l("Signing key revoked"),
    "key:rotate": _l("Signing key rotated"),
    "label:issue": _l("Label issued"),
    "label:reissue": _l("Label re-issued"),
    "label:key_revoked": _l("Label's signing key revoked"),
    "organisation:create": _l("Organisation registered"),
    "product:create": _l("Product added"),
    "product:update": _l("Product changed"),
    "registration:confirm": _l("Registration confirmed"),
    "registration:create": _l("Registration requested"),
    "registration:existing_account": _l("Registration for an existing account"),
    "relation:declare": _l("Relation declared"),
    "supervision:list": _l("Entered on the dishonest-entity list"),
    "supervision:unlist": _l("Removed from the dishonest-entity list"),
    "supervision:order_suspend": _l("Order to suspend a label"),
    "supervision:order_withdraw": _l("Order to withdraw a label"),
    "supervision:withdrawal_overdue": _l("Withdrawal demand overdue"),
    "surveillance:assign": _l("Surveillance assigned"),
    "surveillance:evaluate": _l("Surveillance evaluated"),
    "surveillance:overdue": _l("Surveillance overdue"),
    "user:create": _l("User created"),
    "user:logout": _l("Signed out"),
}

# Subjects are stored by their table's name (``AuditEvent.subject_type``).
TABLE_NAMES: dict[str, LazyString] = {
    "applications": _l("Application"),
    "barred_organisations": _l("Dishonest-list entry"),
    "complaints": _l("Complaint"),
    "declared_relations": _l("Declared relation"),
    "findings": _l("Finding"),
    "invitations": _l("Invitation"),
    "labels": _l("Label"),
    "organisations": _l("Organisation"),
    "products": _l("Product"),
    "registrations": _l("Registration"),
    "scheme_versions": _l("Scheme version"),
    "signing_keys": _l("Signing key"),
    "spot_check_draws": _l("Spot check"),
    "supervision_orders": _l("Order"),
    "surveillances": _l("Surveillance"),
    "users": _l("User"),
    "withdrawal_demands": _l("Withdrawal demand"),
}

# The state machines write their action as the verb: these name the verb from the action's own name.
_ACTIONS = {"application": Action, "label": LabelAction}


def event_name(tag: str) -> str:
    """What ``tag`` records, in the reader's language; the tag itself when nothing names it."""
    if tag in EVENT_NAMES:
        return str(EVENT_NAMES[tag])
    subject, _, verb = tag.partition(":")
    actions = _ACTIONS.get(subject)
    if actions is not None and verb in actions._value2member_map_:
        return f"{SUBJECT_NAMES[subject]}: {actions(verb).label}"
    return tag


def role_name(role: str | None) -> str:
    """The stored role code (``decision_maker``) as people name it; unknown codes as they are."""
    if role is None:
        return ""
    try:
        return Role(role).label
    except ValueError:
        return role


def subject_name(table: str | None) -> str:
    """The kind of thing an event concerns, from the table it is stored in."""
    if table is None:
        return ""
    return str(TABLE_NAMES[table]) if table in TABLE_NAMES else table
