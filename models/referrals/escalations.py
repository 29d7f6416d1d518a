"""The escalation queue: alerts raised by the referral workflow when no one acknowledged a
referral in five business days, worked by the state team (everywhere) and each region's
designated administrators (their regions): claim, comment, resolve.

The referral workflow creates the rows; working them is a plain record the API writes directly.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from domain.errors import InvalidTransition, ValidationFailed
from domain.referral_form import clean_text
from models import audit
from models.accounts.tables import User
from models.agencies.tables import Program
from models.paging import Page, paginate
from models.referrals.tables import Escalation, EscalationComment, Referral

PAGE_SIZE = 25
QUEUE_CHOICES = [
    ("unresolved", "Unresolved"),
    ("open", "Not claimed"),
    ("mine", "Claimed by me"),
    ("resolved", "Resolved"),
    ("all", "All"),
]


def regions_of(user: User) -> set[int] | None:
    """The regions whose escalations the person works; None means every region (state team)."""
    return None if user.is_state_team else user.region_numbers


def _scoped(user: User) -> Select:
    query = select(Escalation)
    regions = regions_of(user)
    if regions is not None:
        query = query.where(Escalation.region.in_(regions or {-1}))
    return query


def escalation_queue(db: Session, user: User, *, show: str = "unresolved", region: int | None = None,
                     page: int = 1) -> Page[Escalation]:
    """The alerts the person may work, oldest unresolved first."""
    if show not in dict(QUEUE_CHOICES):
        raise ValidationFailed("Choose which escalations to show from the list.", field="show",
                               code="unknown_filter")
    query = _scoped(user)
    if show == "unresolved":
        query = query.where(Escalation.resolved_at.is_(None))
    elif show == "open":
        query = query.where(Escalation.resolved_at.is_(None), Escalation.claimed_by_user_id.is_(None))
    elif show == "mine":
        query = query.where(Escalation.resolved_at.is_(None), Escalation.claimed_by_user_id == user.id)
    elif show == "resolved":
        query = query.where(Escalation.resolved_at.is_not(None))
    if region is not None:
        query = query.where(Escalation.region == region)
    ordered = (query.order_by(Escalation.resolved_at.is_not(None), Escalation.raised_at, Escalation.id)
               .options(selectinload(Escalation.referral).selectinload(Referral.receiving_program)
                        .selectinload(Program.agency),
                        selectinload(Escalation.referral).selectinload(Referral.sending_program)
                        .selectinload(Program.agency),
                        selectinload(Escalation.claimed_by)))
    return paginate(db, ordered, page, PAGE_SIZE)


def visible_escalation(db: Session, user: User, escalation_id: int) -> Escalation | None:
    return db.scalar(_scoped(user).where(Escalation.id == escalation_id))


def _open(escalation: Escalation) -> None:
    if escalation.resolved_at is not None:
        raise InvalidTransition("This escalation is already resolved.", code="escalation_resolved")


def claim(db: Session, user: User, escalation: Escalation, now: datetime) -> None:
    """Take the alert: the queue shows who works it."""
    _open(escalation)
    if escalation.claimed_by_user_id not in (None, user.id):
        raise InvalidTransition(f"{escalation.claimed_by.full_name} already claimed this escalation.",
                                code="escalation_claimed")
    escalation.claimed_by_user_id, escalation.claimed_at = user.id, now
    audit.record(db, action="escalation.claimed", entity_type="escalation", entity_id=escalation.id,
                 user_id=user.id, referral_id=escalation.referral_id)


def comment(db: Session, user: User, escalation: Escalation, text: str, now: datetime) -> EscalationComment:
    body = clean_text(text, label="Comment", field="text")
    row = EscalationComment(escalation_id=escalation.id, at=now, user_id=user.id, text=body)
    db.add(row)
    audit.record(db, action="escalation.commented", entity_type="escalation", entity_id=escalation.id,
                 user_id=user.id, referral_id=escalation.referral_id)
    return row


def resolve(db: Session, user: User, escalation: Escalation, resolution: str, now: datetime) -> None:
    """Close the alert, saying what was done (for example: "called the program; assigned today")."""
    _open(escalation)
    escalation.resolution = clean_text(resolution, label="Resolution", field="resolution")
    escalation.resolved_by_user_id, escalation.resolved_at = user.id, now
    if escalation.claimed_by_user_id is None:
        escalation.claimed_by_user_id, escalation.claimed_at = user.id, now
    audit.record(db, action="escalation.resolved", entity_type="escalation", entity_id=escalation.id,
                 user_id=user.id, referral_id=escalation.referral_id)
