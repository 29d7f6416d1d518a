"""Who may see a client's details (docs/rules.md, "Who may see a client"), in one place.

Full details: the program that created the client (or a profile since merged into it), the
programs on a signed, unexpired, unrevoked ROI with the client, and the programs holding a
referral of the client (its sender; its receiver once it was sent). Everyone else sees only what
confirms identity: the name and the year of birth.

``visible_to`` is the rule as a SQL condition on ``Client``, for lists and searches;
``can_see_client`` asks it for one client. ROI and referral code should call these rather than
restate the rule.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from domain.referral_status import ReferralState
from models.clients.tables import Client
from models.referrals.tables import Referral
from models.releases.tables import ReleaseOfInformation, RoiProgram, valid_on


def valid_roi_with(program_id: int, today: date) -> ColumnElement[bool]:
    """True for clients with an ROI that covers ``program_id`` and lets it share ``today``."""
    return exists().where(
        ReleaseOfInformation.client_id == Client.id,
        valid_on(today),
        RoiProgram.roi_id == ReleaseOfInformation.id,
        RoiProgram.program_id == program_id,
    )


def holds_referral_of(program_id: int) -> ColumnElement[bool]:
    """True for clients with a referral sent by ``program_id`` or sent to it (a referral saved
    but not yet sent is not the receiver's yet)."""
    return exists().where(
        Referral.client_id == Client.id,
        or_(
            Referral.sending_program_id == program_id,
            and_(
                Referral.receiving_program_id == program_id,
                Referral.state != ReferralState.PENDING.value,
            ),
        ),
    )


def visible_to(program_id: int, today: date) -> ColumnElement[bool]:
    """The condition on ``Client`` under which ``program_id`` may see its full details today."""
    absorbed = aliased(Client)
    return or_(
        Client.created_by_program_id == program_id,
        exists().where(
            absorbed.merged_into_id == Client.id, absorbed.created_by_program_id == program_id
        ),
        valid_roi_with(program_id, today),
        holds_referral_of(program_id),
    )


def can_see_client(db: Session, program_id: int | None, client_id: int, today: date) -> bool:
    """Whether ``program_id`` may see the full details of client ``client_id`` on ``today``."""
    if program_id is None:
        return False
    found = db.scalar(select(Client.id).where(Client.id == client_id, visible_to(program_id, today)))
    return found is not None
