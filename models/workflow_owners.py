"""The regions of the programs whose data a workflow holds (see domain.workflow_owners); the ids
are read back by workflows.ids, the module that spells them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.accounts.tables import Membership
from models.messages.tables import OutboxMessage
from models.agencies.tables import Program
from models.referrals.tables import Referral
from models.releases.tables import ReleaseOfInformation
from models.webhooks import WebhookDelivery, WebhookEndpoint
from workflows.ids import AGENCY_MOU, OUTBOX, REFERRAL, ROI, USER_MOU, WEBHOOK_DELIVERY, parse_workflow_id


def _program_ids(db: Session, kind: str, record_id: int) -> list[int]:
    if kind == REFERRAL:
        row = db.get(Referral, record_id)
        return [row.sending_program_id, row.receiving_program_id] if row else []
    if kind == ROI:
        row = db.get(ReleaseOfInformation, record_id)
        return [row.sending_program_id] if row else []
    if kind == AGENCY_MOU:
        return [record_id]
    if kind == USER_MOU:
        return list(db.scalars(select(Membership.program_id).where(Membership.user_id == record_id)))
    if kind == OUTBOX:
        row = db.get(OutboxMessage, record_id)
        if row is None:
            return []
        if row.program_id is not None:
            return [row.program_id]
        return list(db.scalars(select(Membership.program_id).where(Membership.user_id == row.user_id)))
    if kind == WEBHOOK_DELIVERY:
        return list(db.scalars(select(WebhookEndpoint.program_id).join(WebhookDelivery)
                               .where(WebhookDelivery.id == record_id)))
    return []


def regions_of_workflow(db: Session, workflow_id: str) -> frozenset[int]:
    """The regions of the programs of the workflow's record (empty: no program, or none found)."""
    parsed = parse_workflow_id(workflow_id)
    if parsed is None:
        return frozenset()
    ids = [i for i in _program_ids(db, *parsed) if i is not None]
    if not ids:
        return frozenset()
    return frozenset(db.scalars(select(Program.region).where(Program.id.in_(ids))))
