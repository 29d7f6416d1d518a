"""A gatekeeper's word on their program: its capacity, and the confirmation that its details are
right (an assurance, shown as "last verified"). Each change audited; no web framework here."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, or_
from sqlalchemy.orm import Session

from domain.calendar import add_years
from domain.errors import NotAllowed, ValidationFailed
from domain.program_status import Capacity
from models import audit
from models.accounts.tables import User
from models.agencies.tables import Program
from models.base import utcnow


def require_gatekeeper(user: User, program: Program) -> None:
    """NotAllowed unless ``user`` is a gatekeeper of ``program``."""
    if not any(m.program_id == program.id and m.is_gatekeeper for m in user.memberships):
        raise NotAllowed(f"Only a gatekeeper of {program.display_name} can change what the directory "
                         "says about it. Ask your agency's gatekeeper.", code="not_gatekeeper")


def set_capacity(db: Session, program: Program, user: User, capacity: str) -> None:
    require_gatekeeper(user, program)
    try:
        chosen = Capacity(capacity)
    except ValueError:
        raise ValidationFailed("Choose the program's capacity from the list.", field="capacity") from None
    if chosen.value != program.capacity:
        audit.record(db, action="program.capacity_set", entity_type="program", entity_id=program.id,
                     user_id=user.id, program_id=program.id, capacity=chosen.value, before=program.capacity)
        program.capacity = chosen.value
        program.updated_at = utcnow()


def confirm_details(db: Session, program: Program, user: User, today: date) -> None:
    """The gatekeeper's one-click assurance: the program's details are right as of ``today``."""
    require_gatekeeper(user, program)
    program.assured_on, program.assured_by_id, program.assurer_email = today, user.id, user.email
    program.updated_at = utcnow()
    audit.record(db, action="program.details_confirmed", entity_type="program", entity_id=program.id,
                 user_id=user.id, program_id=program.id, assured_on=today.isoformat())


def needing_verification(stmt: Select, today: date) -> Select:
    """``stmt``'s programs never confirmed or last confirmed a year ago or more, the oldest first
    (domain.program_status.needs_verification, in SQL)."""
    return (stmt.where(or_(Program.assured_on.is_(None), Program.assured_on <= add_years(today, -1)))
            .order_by(None).order_by(Program.assured_on.is_not(None), Program.assured_on, Program.name))
