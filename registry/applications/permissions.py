"""Who may see an application and its confidential file, and who may act on it (the fine layer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from registry.accounts.models import Role

if TYPE_CHECKING:
    from registry.accounts.models import User
    from registry.applications.models import Application, Assignment
    from registry.labels.models import Label


def _assignment(user: User, application: Application, assignments: list[Assignment]) -> Assignment | None:
    return next((a for a in assignments if a.verifier_id == user.id and a.application_id == application.id), None)


def is_holder(user: User, application: Application) -> bool:
    return user.role is Role.APPLICANT and user.organisation_id == application.applicant_id


def can_view_application(user: User, application: Application, assignments: list[Assignment]) -> bool:
    """The applicant, the body's administrators and decision makers, its assigned verifiers, regulators.

    Everyone else gets a 404: another organisation's application does not exist for them.
    """
    if user.role is Role.REGULATOR or is_holder(user, application):
        return True
    if user.organisation_id != application.body_id or application.submitted_at is None:
        # Drafts are the applicant's own business until first submitted.
        return False
    if user.role in (Role.BODY_ADMIN, Role.DECISION_MAKER):
        return True
    return user.role is Role.VERIFIER and _assignment(user, application, assignments) is not None


def can_view_confidential(user: User, application: Application, assignments: list[Assignment]) -> bool:
    """Activity data, documents and findings: a verifier sees them only after declaring no conflict."""
    if not can_view_application(user, application, assignments):
        return False
    assignment = _assignment(user, application, assignments)
    if user.role is Role.VERIFIER:
        return assignment is not None and assignment.cleared
    if assignment is not None:  # a decision maker who was assigned as a verifier
        return assignment.cleared
    return True


def is_cleared_verifier(user: User, application: Application, assignments: list[Assignment]) -> bool:
    assignment = _assignment(user, application, assignments)
    return assignment is not None and assignment.cleared and user.organisation_id == application.body_id


def can_open_successor(user: User, label: Label) -> bool:
    """A renewal or a change report for a label: the holder's own staff (registry.applications.services.renewal
    says when)."""
    return user.is_active_account and user.role is Role.APPLICANT and user.organisation_id == label.holder_id
