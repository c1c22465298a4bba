"""Every model of every domain, imported in one place for Alembic and the migration test (which also checks that
none is missing here)."""

from registry.accounts.models import Invitation, Registration, User
from registry.applications.models import (
    ActivityLine,
    Appeal,
    Application,
    Assignment,
    ChecklistItem,
    Decision,
    DeclaredRelation,
    Document,
    Finding,
    Participant,
    Recommendation,
    StageValue,
    Statement,
    TransitionRecord,
)
from registry.audit.models import AuditEvent
from registry.complaints.models import Complaint, ComplaintNote, ComplaintStep
from registry.database import Base
from registry.inspections.models import SpotCheckDraw, SpotCheckItem, SpotCheckResult
from registry.keys.models import SigningKey
from registry.labels.models import CertificateCounter, Label, LabelTransition, StatusListCounter
from registry.notifications.models import Notification
from registry.organisations.models import BarredOrganisation, Organisation
from registry.products.models import Product
from registry.schemes.models import Scheme, SchemeVersion
from registry.supervision.models import DishonestListEvent, SupervisionOrder, WithdrawalDemand
from registry.surveillance.models import Surveillance, SurveillanceEvaluation
from registry.tlog.models import TlogCheckpoint, TlogEntry, TlogKey, TlogNode, TlogState

__all__ = [
    "ActivityLine",
    "Appeal",
    "Application",
    "Assignment",
    "AuditEvent",
    "BarredOrganisation",
    "Base",
    "CertificateCounter",
    "ChecklistItem",
    "Complaint",
    "ComplaintNote",
    "ComplaintStep",
    "Decision",
    "DeclaredRelation",
    "DishonestListEvent",
    "Document",
    "Finding",
    "Invitation",
    "Label",
    "LabelTransition",
    "Notification",
    "Organisation",
    "Participant",
    "Product",
    "Recommendation",
    "Registration",
    "Scheme",
    "SchemeVersion",
    "SigningKey",
    "SpotCheckDraw",
    "SpotCheckItem",
    "SpotCheckResult",
    "StageValue",
    "Statement",
    "StatusListCounter",
    "SupervisionOrder",
    "Surveillance",
    "SurveillanceEvaluation",
    "TlogCheckpoint",
    "TlogEntry",
    "TlogKey",
    "TlogNode",
    "TlogState",
    "TransitionRecord",
    "User",
    "WithdrawalDemand",
]
