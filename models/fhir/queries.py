"""What the FHIR API reads: the rows a program may see, with the rules of the JSON API.

Referrals are visible by ``models.referrals.queries.visible_to`` (the lists' rule), clients by
``models.clients.access.visible_to``, ROIs as ``models.releases.check_roi_access`` allows them one
at a time; this module says the last as a SQL condition, and which information types a client's
ROIs share with a program.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from domain.roi import InformationType
from models.clients.tables import Client
from models.referrals.tables import Referral
from models.releases.tables import ReleaseOfInformation, RoiProgram, valid_on


def rois_visible_to(program_id: int, today: date) -> ColumnElement[bool]:
    """The ROIs ``program_id`` may read today: the ones it started, and the valid ones it is on."""
    return or_(
        ReleaseOfInformation.sending_program_id == program_id,
        and_(valid_on(today), exists().where(RoiProgram.roi_id == ReleaseOfInformation.id,
                                            RoiProgram.program_id == program_id)),
    )


def created_by(program_id: int, client_id: int, db: Session) -> bool:
    """Whether ``program_id`` made the client (or a profile since merged into it)."""
    absorbed = aliased(Client)
    return db.scalar(select(Client.id).where(Client.id == client_id, or_(
        Client.created_by_program_id == program_id,
        exists().where(absorbed.merged_into_id == Client.id, absorbed.created_by_program_id == program_id),
    ))) is not None


def shared_information_types(db: Session, program_id: int, client_id: int, today: date) -> frozenset[InformationType]:
    """What the client agreed to share with ``program_id``: every type for the program that made
    the client; otherwise the types of the valid ROIs it is on and of the ROIs of the referrals
    it sent or received (a referral keeps the consent it was sent under)."""
    if created_by(program_id, client_id, db):
        return frozenset(InformationType)
    on_roi = select(ReleaseOfInformation.information_types).where(
        ReleaseOfInformation.client_id == client_id, valid_on(today),
        exists().where(RoiProgram.roi_id == ReleaseOfInformation.id, RoiProgram.program_id == program_id))
    by_referral = select(ReleaseOfInformation.information_types).join(
        Referral, Referral.roi_id == ReleaseOfInformation.id).where(
        Referral.client_id == client_id, Referral.sent_at.is_not(None),
        or_(Referral.sending_program_id == program_id, Referral.receiving_program_id == program_id))
    found: set[InformationType] = set()
    for types in [*db.scalars(on_roi), *db.scalars(by_referral)]:
        found.update(InformationType(t) for t in types or () if t in set(InformationType))
    return frozenset(found)
