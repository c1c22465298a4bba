"""What the label lifecycle tells the supervision records: a label that leaves the market (withdrawn, or ended
otherwise) meets the withdrawal demands open on it. Called by ``labels.lifecycle.change_status`` in its
transaction, so a demand is met in the same commit as the withdrawal that meets it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.labels.models import Label, LabelTransition
from registry.supervision.models import DemandStatus, WithdrawalDemand

OPEN_STATUSES = (DemandStatus.OPEN, DemandStatus.OVERDUE)


def meet_demands(session: Session, label: Label, step: LabelTransition, now: datetime) -> list[WithdrawalDemand]:
    """Mark the label's open (or overdue) demands met by ``step``, which ended its life."""
    demands = list(
        session.scalars(
            select(WithdrawalDemand).where(
                WithdrawalDemand.label_id == label.id, WithdrawalDemand.status.in_(OPEN_STATUSES)
            )
        )
    )
    for demand in demands:
        demand.status = DemandStatus.MET
        demand.closed_at = now
        demand.closed_by_id = step.id
    return demands
