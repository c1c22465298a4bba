"""Who may see and handle a complaint.

The regulator sees every complaint; a certification body's administrator sees the complaints about the labels
its body issued, and nobody else's (a 404, not a 403). Verifiers and decision makers do not: a complaint may be
about a file they evaluated or decided, and the body's administrator assigns the work. Handling (starting the
review, closing with a published outcome) belongs to whoever the complaint is assigned to; the regulator may
always act, and either side may add internal notes or hand the complaint to the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from registry.accounts.models import Role
from registry.complaints.models import ComplaintHandler, ComplaintStatus

if TYPE_CHECKING:
    from registry.accounts.models import User
    from registry.complaints.models import Complaint


def can_view_complaint(user: User | None, complaint: Complaint) -> bool:
    if user is None or not user.is_active_account:
        return False
    if user.role is Role.REGULATOR:
        return True
    return user.role is Role.BODY_ADMIN and user.organisation_id == complaint.body_id


def can_handle_complaint(user: User | None, complaint: Complaint) -> bool:
    """Start the review or close the complaint: the regulator, or the body while the complaint is the body's."""
    if not can_view_complaint(user, complaint) or complaint.status is ComplaintStatus.CLOSED:
        return False
    assert user is not None
    return user.role is Role.REGULATOR or complaint.handler is ComplaintHandler.BODY


def can_note_complaint(user: User | None, complaint: Complaint) -> bool:
    return can_view_complaint(user, complaint)


def can_assign_complaint(user: User | None, complaint: Complaint) -> bool:
    """The regulator assigns either way; the body may hand its complaint to the regulator (not take one back)."""
    return can_handle_complaint(user, complaint)
