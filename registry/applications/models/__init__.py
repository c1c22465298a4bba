"""Applications for a label and everything the certification of one produces.

An application is bound to one scheme version for life. Its confidential file (stage values, activity data,
documents, findings) is seen only by the applicant, the certification body's assigned people and regulators.

One module per part of the file, in the order they depend on each other: the application and its footprint
data (``application``), its documents (``documents``), the record of its status changes (``transitions``),
who takes part in it (``participants``), the evaluation (``evaluation``), and the recommendation, decisions and
appeal (``decisions``). Everything is imported from here, ``from registry.applications.models import …``.
"""

from registry.applications.models.application import (
    APPLICATION_KIND_LABELS,
    CHANGE_KIND_LABELS,
    FINAL_STATUSES,
    STATUS_LABELS,
    ActivityLine,
    Application,
    ApplicationKind,
    ApplicationStatus,
    ChangeKind,
    DataKind,
    FactorUnit,
    StageValue,
)
from registry.applications.models.decisions import Appeal, Decision, Outcome, Recommendation
from registry.applications.models.documents import DOCUMENT_KIND_LABELS, Document, DocumentKind
from registry.applications.models.evaluation import (
    SEVERITY_LABELS,
    Assurance,
    ChecklistItem,
    Finding,
    Opinion,
    Severity,
    Statement,
)
from registry.applications.models.participants import (
    PARTICIPANT_CAPACITIES,
    RELATION_LABELS,
    Assignment,
    Capacity,
    Declaration,
    DeclaredRelation,
    Participant,
    Relation,
)
from registry.applications.models.transitions import TransitionRecord

__all__ = [
    "APPLICATION_KIND_LABELS",
    "CHANGE_KIND_LABELS",
    "DOCUMENT_KIND_LABELS",
    "FINAL_STATUSES",
    "PARTICIPANT_CAPACITIES",
    "RELATION_LABELS",
    "SEVERITY_LABELS",
    "STATUS_LABELS",
    "ActivityLine",
    "Appeal",
    "Application",
    "ApplicationKind",
    "ApplicationStatus",
    "Assignment",
    "Assurance",
    "Capacity",
    "ChangeKind",
    "ChecklistItem",
    "DataKind",
    "Decision",
    "Declaration",
    "DeclaredRelation",
    "Document",
    "DocumentKind",
    "FactorUnit",
    "Finding",
    "Opinion",
    "Outcome",
    "Participant",
    "Recommendation",
    "Relation",
    "Severity",
    "StageValue",
    "Statement",
    "TransitionRecord",
]
