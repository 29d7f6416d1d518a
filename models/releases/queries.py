"""Releases of information: drafts, who may see or act on one, and the checks read by the
referrals and the SMS webhook. The workflow owns an ROI's state; its activities write the
projection (see activities/roi.py) and everything here reads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from documents.roi import with_birth_year_only
from domain.errors import NotAllowed, NotFound, ValidationFailed
from domain.roi import RoiState, SignatureMethod, is_roi_valid
from domain.sms_replies import SmsKeyword, classify_reply, opts_in
from models import audit
from models.clients.access import can_see_client
from models.clients.tables import Client
from models.agencies.directory import directory_programs_by_id
from models.agencies.tables import Program
from models.referrals.tables import Referral
from models.releases.tables import InboundSms, ReleaseOfInformation, RoiAttachment, RoiProgram, RoiSmsCode
from models.workflow_starts import ROI, expect_start

OPEN_STATES = (RoiState.DRAFT.value, RoiState.AWAITING_SIGNATURE.value)


def get_roi(db: Session, roi_id: int) -> ReleaseOfInformation:
    roi = db.get(ReleaseOfInformation, roi_id)
    if roi is None:
        raise NotFound("That release of information was not found.")
    return roi


def roi_program_ids(roi: ReleaseOfInformation) -> list[int]:
    """The programs on the ROI, the sending program first."""
    others = sorted(p.program_id for p in roi.programs if p.program_id != roi.sending_program_id)
    return [roi.sending_program_id, *others]


def roi_programs(db: Session, roi: ReleaseOfInformation) -> list[Program]:
    ids = roi_program_ids(roi)
    found = {p.id: p for p in db.scalars(select(Program).where(Program.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def live_attachment(roi: ReleaseOfInformation) -> RoiAttachment | None:
    return next((a for a in reversed(roi.attachments) if a.deleted_at is None), None)


def check_receiving_programs(
    db: Session, sending_program_id: int, program_ids: Iterable[int], today: date
) -> list[int]:
    """The receiving programs chosen for an ROI: at least one, each in the directory today."""
    wanted = sorted(set(program_ids) - {sending_program_id})
    if not wanted:
        raise ValidationFailed(
            "Choose at least one program to share with (your own program is always on the ROI).",
            field="program_ids",
            code="programs_missing",
        )
    found = directory_programs_by_id(db, wanted, today)
    missing = [i for i in wanted if i not in found]
    if missing:
        raise ValidationFailed(
            "Some chosen programs are no longer in the directory (their agency MOU is not "
            "valid). Search again and choose from the programs shown.",
            field="program_ids",
            code="program_not_in_directory",
        )
    return wanted


def create_roi_drafts(
    db: Session,
    *,
    client: Client,
    sending_program_id: int,
    user_id: int,
    program_ids: Iterable[int],
    one_per_program: bool,
    today: date,
) -> list[ReleaseOfInformation]:
    """Draft ROI rows for a client: one covering every chosen program, or one per program.

    The sending program is on each. The caller commits and then starts each ROI's workflow (a
    repeat of the request is answered by the idempotency records, api.idempotency).
    """
    if client.merged_into_id is not None:
        raise ValidationFailed(
            "This client record was merged into another one; start the ROI from that record.",
            code="client_merged",
        )
    receiving = check_receiving_programs(db, sending_program_id, program_ids, today)
    groups = [[p] for p in receiving] if one_per_program else [receiving]
    rows = []
    for group in groups:
        roi = ReleaseOfInformation(
            client_id=client.id, sending_program_id=sending_program_id, created_by_user_id=user_id,
            state=RoiState.DRAFT.value,
        )
        roi.programs = [RoiProgram(program_id=p) for p in [sending_program_id, *group]]
        db.add(roi)
        db.flush()
        audit.record(db, action="roi.created", entity_type="roi", entity_id=roi.id, user_id=user_id,
                     program_id=sending_program_id, programs=[sending_program_id, *group])
        expect_start(db, ROI, roi.id)
        rows.append(roi)
    return rows



def check_roi_access(roi: ReleaseOfInformation, program_id: int | None, today: date,
                     *, manage: bool = False) -> None:
    """Who may act on an ROI: the sending program (its providers and gatekeepers) does everything;
    the other programs on it may read it while it is valid. Anyone else does not learn it exists."""
    if program_id == roi.sending_program_id:
        return
    if program_id not in roi_program_ids(roi):
        raise NotFound("That release of information was not found.")
    if manage:
        raise NotAllowed(
            "Only the program that started this release of information can change it.",
            code="roi_not_sender",
        )
    if not is_roi_valid(roi.state, roi.expires_on, today):
        raise NotAllowed(
            f"This release of information is {RoiState(roi.state).label.lower()}: it no longer lets "
            "your program see its details.",
            code="roi_not_valid",
        )


def roi_text_for(db: Session, roi: ReleaseOfInformation, program_id: int, today: date) -> str:
    """The ROI's text as ``program_id`` may read it today.

    The text names the client with their full date of birth. A program that may not yet see the
    client's details (``models.clients.access``) reads the year only, as search shows it: the ROI
    is not consent until it is signed, so preparing one must not reveal more.
    """
    if can_see_client(db, program_id, roi.client_id, today):
        return roi.rendered_text
    return with_birth_year_only(roi.rendered_text)


def client_rois(db: Session, client_id: int, program_id: int, today: date) -> list[ReleaseOfInformation]:
    """The client's ROIs that `program_id` may open (see `check_roi_access`), newest first."""
    found = db.scalars(
        select(ReleaseOfInformation)
        .join(RoiProgram, RoiProgram.roi_id == ReleaseOfInformation.id)
        .where(ReleaseOfInformation.client_id == client_id, RoiProgram.program_id == program_id)
        .order_by(ReleaseOfInformation.id.desc())
    )
    return [roi for roi in found if roi.sending_program_id == program_id
            or is_roi_valid(roi.state, roi.expires_on, today)]


# --- what referrals read ---------------------------------------------------------------------


def pending_referrals_under(db: Session, roi_id: int) -> list[Referral]:
    return list(db.scalars(select(Referral).where(Referral.roi_id == roi_id, Referral.state == "pending")
                           .order_by(Referral.id)))


# --- texts from clients ----------------------------------------------------------------------


def store_inbound_sms(db: Session, *, message_sid: str, from_number: str, body: str,
                      now: datetime) -> tuple[InboundSms, bool]:
    """Stores a text once per MessageSid; returns the row and whether it is new."""
    existing = db.scalar(select(InboundSms).where(InboundSms.message_sid == message_sid))
    if existing is not None:
        return existing, False
    row = InboundSms(message_sid=message_sid, from_number=from_number, body=body[:1600], received_at=now)
    try:
        with db.begin_nested():
            db.add(row)
            db.flush()
    except IntegrityError:  # the same message delivered twice at once
        return db.scalar(select(InboundSms).where(InboundSms.message_sid == message_sid)), False
    return row, True


# A YES stored but not yet passed to the ROI workflows waiting for it (Temporal was unreachable):
# the recovery sweep signals them (connect.recovery).
CONSENT_PENDING = "consent_pending"


def texts_awaiting_pass_on(db: Session, limit: int) -> list[InboundSms]:
    return list(db.scalars(select(InboundSms).where(InboundSms.outcome == CONSENT_PENDING)
                           .order_by(InboundSms.id).limit(limit)))


def sms_opted_out(db: Session, phone: str) -> bool:
    """Whether the number's latest STOP is not followed by an opt-in word (START or YES)."""
    for body in db.scalars(select(InboundSms.body).where(InboundSms.from_number == phone)
                           .order_by(InboundSms.received_at.desc(), InboundSms.id.desc())):
        keyword = classify_reply(body)
        if keyword is SmsKeyword.STOP:
            return True
        if opts_in(keyword):
            return False
    return False


def _awaiting_sms(phone: str):
    return select(ReleaseOfInformation).where(
        ReleaseOfInformation.state == RoiState.AWAITING_SIGNATURE.value,
        ReleaseOfInformation.signature_method == SignatureMethod.SMS.value,
        ReleaseOfInformation.signature_phone == phone,
    ).order_by(ReleaseOfInformation.id)


def _has_live_code():
    return exists().where(RoiSmsCode.roi_id == ReleaseOfInformation.id, RoiSmsCode.superseded_at.is_(None))


def rois_awaiting_yes(db: Session, phone: str) -> list[ReleaseOfInformation]:
    """ROIs that texted `phone` for consent and have not sent a security code yet."""
    return list(db.scalars(_awaiting_sms(phone).where(~_has_live_code())))


def rois_with_code_sent(db: Session, phone: str) -> list[ReleaseOfInformation]:
    return list(db.scalars(_awaiting_sms(phone).where(_has_live_code())))


def current_sms_code(db: Session, roi_id: int) -> RoiSmsCode | None:
    return db.scalar(select(RoiSmsCode).where(RoiSmsCode.roi_id == roi_id, RoiSmsCode.superseded_at.is_(None))
                     .order_by(RoiSmsCode.id.desc()))
