"""MOU signatures and notices: the database side of the MOU renewal workflow."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from models.messages.notices import notify_users
from connect.settings import Settings
from domain.errors import NotAllowed
from models import audit
from models.accounts.tables import AdminRegion, Membership, User, UserMou
from models.audit import AuditEvent
from models.db import transaction
from models.agencies.tables import AgencyMou, Program
from workflows.failures import business_failure
from workflows.mou_contracts import MouActivitiesContract, MouKind, MouNotice, RecordMouSignature


def gatekeeper_ids(db: Session, program_id: int) -> list[int]:
    return list(db.scalars(select(Membership.user_id).where(
        Membership.program_id == program_id, Membership.is_gatekeeper)))


def region_admin_ids(db: Session, region: int) -> list[int]:
    return list(db.scalars(select(AdminRegion.user_id).where(AdminRegion.region == region)))


class MouActivities(MouActivitiesContract):
    def __init__(self, session_factory: sessionmaker[Session], settings: Settings):
        self._db = session_factory
        self._settings = settings

    @activity.defn
    async def record_mou_signature(self, request: RecordMouSignature) -> None:
        await asyncio.to_thread(self._record, request)

    def _record(self, r: RecordMouSignature) -> None:
        with transaction(self._db) as db:
            if db.scalar(select(AuditEvent.id).where(AuditEvent.idempotency_key == r.idempotency_key)):
                return
            if r.kind is MouKind.USER:
                user = db.get(User, r.subject_id)
                db.add(UserMou(user_id=user.id, signed_name=r.sign.signed_name, version=r.sign.version,
                               text_sha256=r.sign.text_sha256, signed_at=r.signed_at,
                               expires_on=r.expires_on))
                user.mou_expires_on = r.expires_on
            else:
                program = db.get(Program, r.subject_id)
                if r.sign.signer_user_id not in gatekeeper_ids(db, program.id):
                    raise business_failure(NotAllowed("Only a gatekeeper of this program can sign its agency MOU.",
                                                      code="not_gatekeeper"))
                db.add(AgencyMou(program_id=program.id, signed_by_id=r.sign.signer_user_id,
                                 signed_name=r.sign.signed_name, version=r.sign.version,
                                 text_sha256=r.sign.text_sha256, signed_at=r.signed_at,
                                 expires_on=r.expires_on))
                program.mou_expires_on = r.expires_on
            audit.record(db, action=f"{r.kind.value}_mou.signed", entity_type=f"{r.kind.value}_mou",
                         entity_id=r.subject_id, user_id=r.sign.signer_user_id,
                         program_id=r.sign.program_id, idempotency_key=r.idempotency_key,
                         version=r.sign.version, expires_on=r.expires_on.isoformat())

    @activity.defn
    async def mou_notice(self, notice: MouNotice) -> list[int]:
        return await asyncio.to_thread(self._notice, notice)

    def _notice(self, n: MouNotice) -> list[int]:
        key = f"{n.kind.value}-mou-{n.subject_id}:{n.expires_on.isoformat()}:{n.event}:{n.days_left}"
        common = dict(key=key, public_url=self._settings.public_url,
                      from_address=self._settings.email_from)
        due = "has lapsed" if n.event == "lapsed" else f"is due in {days_phrase(n.days_left)}"
        context = {"event": n.event, "due": due}
        with transaction(self._db) as db:
            if n.kind is MouKind.USER:
                then = ("Until you sign it again you cannot open clients or referrals."
                        if n.event == "lapsed" else "Sign it to keep access to clients and referrals.")
                return notify_users(
                    db, [n.subject_id], kind="user_mou", link="/mou", actor_id=None,
                    text=f"Your CONNECT User MOU {due}. {then}",
                    email_template="user_mou_notice", context=context, **common)
            program = db.get(Program, n.subject_id)
            then = (": the program is hidden from the directory and cannot receive referrals until a "
                    "gatekeeper signs it again" if n.event == "lapsed"
                    else ". Sign it before then to keep the program in the directory")
            recipients = gatekeeper_ids(db, program.id) + region_admin_ids(db, program.region)
            return notify_users(
                db, recipients, kind="agency_mou", link=f"/agency/mou/{program.id}", actor_id=None,
                text=f"The agency MOU of {program.display_name} {due}{then}.",
                email_template="agency_mou_notice",
                context={**context, "program": program.display_name}, **common)


def days_phrase(days: int) -> str:
    """The days in words: "1 day", "10 days"."""
    return f"{days} day" if days == 1 else f"{days} days"
