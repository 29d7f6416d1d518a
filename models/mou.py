"""Signatures of the user MOU and the agency MOU (written by the MOU workflow's activity; read
here for the MOU pages)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.accounts.tables import User, UserMou
from models.agencies.tables import AgencyMou, Program


def user_mou_history(db: Session, user_id: int, limit: int = 10) -> list[UserMou]:
    return list(db.scalars(select(UserMou).where(UserMou.user_id == user_id)
                           .order_by(UserMou.signed_at.desc()).limit(limit)))


def agency_mou_history(db: Session, program_id: int, limit: int = 10) -> list[tuple[AgencyMou, User]]:
    return list(db.execute(select(AgencyMou, User).join(User, User.id == AgencyMou.signed_by_id)
                           .where(AgencyMou.program_id == program_id)
                           .order_by(AgencyMou.signed_at.desc()).limit(limit)))


def gatekeeper_programs(user: User) -> list[Program]:
    """The programs whose agency MOU the person may sign, by name."""
    return sorted((m.program for m in user.memberships if m.is_gatekeeper),
                  key=lambda p: p.display_name.casefold())
