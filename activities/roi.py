"""The database side of the ROI workflow: the projection rows, the evidence, the texts and the
notices. Each activity is one transaction and is idempotent on the workflow step's key.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from models.messages.notices import notify_users
from documents.roi import DOB_FORMAT, DocumentProgram, render_roi
from models.accounts.credentials import keyed_hash
from connect.settings import Settings
from domain.errors import InvalidTransition, NotFound, ValidationFailed
from domain.roi import (
    AuthorizerKind,
    RoiState,
    SignatureMethod,
    check_roi_transition,
    last_valid_day,
)
from domain.sms_code import SMS_CODE_LENGTH
from domain.webhooks import WebhookEvent
from models import audit
from models.accounts.tables import Membership
from models.audit import AuditEvent
from models.base import utcnow
from models.clients.tables import Client, ClientPhone
from models.db import transaction
from models.messages.tables import OutboxMessage
from models.agencies.tables import Program
from models.releases.queries import pending_referrals_under, roi_program_ids, roi_programs, sms_opted_out
from models.releases.tables import ReleaseOfInformation, RoiAttachment, RoiProgram, RoiSmsCode
from models.webhooks import roi_event
from workflows.failures import domain_rules
from workflows.roi_contracts import (
    IssueSmsCode,
    RecordAbandoned,
    RecordAttachment,
    RecordAttachmentDeleted,
    RecordCodeAttempt,
    RecordCompletion,
    RecordPrograms,
    RecordRevocation,
    RecordSignature,
    RecordSignatureStarted,
    RoiActivitiesContract,
    RoiNotice,
    SmsCodeIssued,
)

CODE_MASK = "•" * SMS_CODE_LENGTH


def _done(db: Session, key: str) -> bool:
    return db.scalar(select(AuditEvent.id).where(AuditEvent.idempotency_key == key)) is not None


def _roi(db: Session, roi_id: int) -> ReleaseOfInformation:
    roi = db.get(ReleaseOfInformation, roi_id, with_for_update=True)
    if roi is None:
        raise NotFound(f"ROI {roi_id} does not exist.", code="roi_not_found")
    return roi


def _move(roi: ReleaseOfInformation, target: RoiState) -> None:
    """The projection follows the same transition table as the workflow."""
    if roi.state != target.value:
        check_roi_transition(RoiState(roi.state), target)
        roi.state = target.value


def _outbox_ids(db: Session, key: str) -> list[int]:
    return list(db.scalars(select(OutboxMessage.id).where(OutboxMessage.idempotency_key.like(f"%{key}%"))))


def gatekeeper_ids(db: Session, program_ids: list[int]) -> list[int]:
    return list(db.scalars(select(Membership.user_id).where(Membership.program_id.in_(program_ids),
                                                            Membership.is_gatekeeper)))


def _few(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


class RoiActivities(RoiActivitiesContract):
    def __init__(self, session_factory: sessionmaker[Session], settings: Settings, sms_from: str,
                 after_commit: Callable[[], Awaitable[None]] | None = None):
        self._db = session_factory
        self._settings = settings
        self._sms_from = sms_from
        # Starts the webhook deliveries a change queued in its transaction (activities.webhooks).
        self._after_commit = after_commit

    async def _run(self, fn, *args):
        """Runs a database step on a thread; its domain refusals become non-retryable failures."""
        with domain_rules():
            return await asyncio.to_thread(fn, *args)

    # --- programs and completion ---------------------------------------------------------------

    @activity.defn
    async def record_roi_programs(self, r: RecordPrograms) -> None:
        await self._run(self._programs, r)

    def _programs(self, r: RecordPrograms) -> None:
        with transaction(self._db) as db:
            if _done(db, r.key):
                return
            roi = _roi(db, r.roi_id)
            wanted = [roi.sending_program_id, *sorted(set(r.program_ids) - {roi.sending_program_id})]
            db.execute(delete(RoiProgram).where(RoiProgram.roi_id == roi.id))
            db.expire(roi, ["programs"])
            db.add_all(RoiProgram(roi_id=roi.id, program_id=p) for p in wanted)
            roi.rendered_text, roi.text_sha256 = "", ""  # the text named the old programs
            audit.record(db, action="roi.programs_chosen", entity_type="roi", entity_id=roi.id,
                         user_id=r.actor.user_id, program_id=r.actor.program_id, idempotency_key=r.key,
                         programs=wanted)

    @activity.defn
    async def record_roi_completion(self, r: RecordCompletion) -> str:
        return await self._run(self._completion, r)

    def _completion(self, r: RecordCompletion) -> str:
        c = r.complete
        with transaction(self._db) as db:
            roi = _roi(db, r.roi_id)
            if _done(db, r.key):
                return roi.text_sha256
            client = db.get(Client, roi.client_id)
            programs = roi_programs(db, roi)
            document = render_roi(
                roi_id=roi.id, client_name=client.full_name, client_dob=client.dob.strftime(DOB_FORMAT),
                programs=[DocumentProgram(p.display_name, p.id == roi.sending_program_id, p.is_part2)
                          for p in programs],
                information_types=c.information_types, purpose=" ".join(c.purpose.split()),
                authorizer_kind=c.authorizer_kind, authorizer_name=c.authorizer_name.strip(),
                authorizer_relationship=c.authorizer_relationship.strip(),
            )
            roi.information_types = list(c.information_types)
            roi.purpose = " ".join(c.purpose.split())
            roi.authorizer_kind = AuthorizerKind(c.authorizer_kind).value
            roi.authorizer_name = c.authorizer_name.strip()
            roi.authorizer_relationship = c.authorizer_relationship.strip()
            roi.rendered_text, roi.text_sha256 = document.text, document.sha256
            audit.record(db, action="roi.completed", entity_type="roi", entity_id=roi.id, user_id=c.actor.user_id,
                         program_id=c.actor.program_id, idempotency_key=r.key, text_sha256=document.sha256,
                         information_types=roi.information_types)
            return document.sha256

    # --- signature methods ---------------------------------------------------------------------

    @activity.defn
    async def record_roi_signature_started(self, r: RecordSignatureStarted) -> list[int]:
        return await self._run(self._signature_started, r)

    def _signature_started(self, r: RecordSignatureStarted) -> list[int]:
        with transaction(self._db) as db:
            if _done(db, r.key):
                return _outbox_ids(db, r.key)
            roi = _roi(db, r.roi_id)
            _move(roi, RoiState.AWAITING_SIGNATURE)
            roi.signature_method = r.method.value
            roi.signature_phone = ""
            # A new attempt retires any code texted before.
            for code in db.scalars(select(RoiSmsCode).where(RoiSmsCode.roi_id == roi.id,
                                                            RoiSmsCode.superseded_at.is_(None))):
                code.superseded_at = activity.info().current_attempt_scheduled_time
            outbox_ids: list[int] = []
            if r.method is SignatureMethod.SMS:
                phone = db.get(ClientPhone, r.phone_id) if r.phone_id else None
                if phone is None or phone.client_id != roi.client_id:
                    raise ValidationFailed("Choose one of the client's phone numbers to text.",
                                           code="phone_not_found", field="phone")
                if sms_opted_out(db, phone.e164):
                    raise ValidationFailed(
                        "This number replied STOP, so CONNECT may not text it. The client can text "
                        "START to the CONNECT number to allow texts again, or sign another way.",
                        code="sms_opted_out", field="phone")
                roi.signature_phone = phone.e164
                outbox_ids.append(self._queue_sms(db, phone.e164, self._consent_text(db, roi), r.key,
                                                  program_id=roi.sending_program_id))
            audit.record(db, action="roi.signature_started", entity_type="roi", entity_id=roi.id,
                         user_id=r.actor.user_id, program_id=r.actor.program_id, idempotency_key=r.key,
                         method=r.method.value)
            return outbox_ids

    def _consent_text(self, db: Session, roi: ReleaseOfInformation) -> str:
        programs = roi_programs(db, roi)
        sender = next(p for p in programs if p.id == roi.sending_program_id)
        others = [p.display_name for p in programs if p.id != roi.sending_program_id]
        return (
            f"CONNECT: {sender.display_name} asks you to sign release of information #{roi.id}, letting it "
            f"share your information with {_few(others)} for one year (you can revoke it any time). "
            "Reply YES to sign; we will then text you a security code to give to the program. "
            "Reply HELP for help, STOP to stop texts."
        )

    def _queue_sms(self, db: Session, to: str, body: str, key: str, *, program_id: int,
                   body_after_send: str | None = None) -> int:
        row = OutboxMessage(channel="sms", to_address=to, from_address=self._sms_from, body=body,
                            idempotency_key=f"sms:{key}", body_after_send=body_after_send,
                            program_id=program_id)
        db.add(row)
        db.flush()
        return row.id

    @activity.defn
    async def issue_roi_sms_code(self, r: IssueSmsCode) -> SmsCodeIssued:
        return await self._run(self._issue_code, r)

    def _issue_code(self, r: IssueSmsCode) -> SmsCodeIssued:
        with transaction(self._db) as db:
            existing = db.scalar(select(RoiSmsCode).where(RoiSmsCode.idempotency_key == r.key))
            if existing is not None:
                return SmsCodeIssued(existing.id, existing.code_hmac, _outbox_ids(db, r.key))
            roi = _roi(db, r.roi_id)
            if roi.state != RoiState.AWAITING_SIGNATURE.value or roi.signature_method != SignatureMethod.SMS.value:
                raise InvalidTransition("This ROI is no longer waiting for a text-message signature.",
                                        code="roi_not_awaiting_sms")
            if sms_opted_out(db, roi.signature_phone):
                raise ValidationFailed("The client's number replied STOP, so CONNECT may not text it a code.",
                                       code="sms_opted_out")
            for old in db.scalars(select(RoiSmsCode).where(RoiSmsCode.roi_id == roi.id,
                                                           RoiSmsCode.superseded_at.is_(None))):
                old.superseded_at = r.sent_at
            code = f"{secrets.randbelow(10 ** SMS_CODE_LENGTH):0{SMS_CODE_LENGTH}d}"
            row = RoiSmsCode(roi_id=roi.id, code_hmac=keyed_hash(self._settings.secret_key, code),
                             sent_at=r.sent_at, expires_at=r.expires_at, idempotency_key=r.key)
            db.add(row)
            db.flush()
            sender = db.get(Program, roi.sending_program_id)
            hours = max(1, round((r.expires_at - r.sent_at).total_seconds() / 3600))
            text = (f"CONNECT security code for release of information #{roi.id}: {{code}}. Give it to "
                    f"{sender.display_name} to confirm your signature. It expires in {hours} hours. "
                    "Do not share it with anyone else.")
            outbox_id = self._queue_sms(db, roi.signature_phone, text.format(code=code), r.key,
                                        program_id=sender.id, body_after_send=text.format(code=CODE_MASK))
            audit.record(db, action="roi.sms_code_sent", entity_type="roi", entity_id=roi.id,
                         idempotency_key=r.key, code_id=row.id)
            return SmsCodeIssued(row.id, row.code_hmac, [outbox_id])

    @activity.defn
    async def record_roi_code_attempt(self, r: RecordCodeAttempt) -> None:
        await self._run(self._code_attempt, r)

    def _code_attempt(self, r: RecordCodeAttempt) -> None:
        with transaction(self._db) as db:
            if _done(db, r.key):
                return
            code = db.get(RoiSmsCode, r.code_id)
            code.attempts = max(code.attempts, r.attempts)
            audit.record(db, action="roi.sms_code_wrong", entity_type="roi", entity_id=r.roi_id,
                         idempotency_key=r.key, code_id=r.code_id, attempts=r.attempts)

    async def _run_then_dispatch(self, fn, *args):
        result = await self._run(fn, *args)
        if self._after_commit is not None:
            await self._after_commit()
        return result

    @activity.defn
    async def record_roi_signature(self, r: RecordSignature) -> int | None:
        return await self._run_then_dispatch(self._signature, r)

    def _signature(self, r: RecordSignature) -> int | None:
        with transaction(self._db) as db:
            roi = _roi(db, r.roi_id)
            if _done(db, r.key):
                attachment = db.scalar(select(RoiAttachment.id).where(RoiAttachment.roi_id == roi.id)
                                       .order_by(RoiAttachment.id.desc()))
                return attachment if r.upload else None
            if roi.state == RoiState.DRAFT.value:
                _move(roi, RoiState.AWAITING_SIGNATURE)
            _move(roi, RoiState.SIGNED)
            roi.signature_method = r.method.value
            roi.signature_name = r.signature_name
            roi.signed_at = r.signed_at
            roi.expires_on = r.expires_on
            roi.revoked_at = None
            if r.method is not SignatureMethod.SMS:
                roi.signature_phone = ""
            if r.code_id is not None:
                db.get(RoiSmsCode, r.code_id).used_at = r.signed_at
            attachment_id = self._attach(db, roi, r.upload, r.signed_at) if r.upload else None
            audit.record(db, action="roi.signed", entity_type="roi", entity_id=roi.id, user_id=r.actor.user_id,
                         program_id=r.actor.program_id, idempotency_key=r.key, method=r.method.value,
                         expires_on=r.expires_on.isoformat(), text_sha256=roi.text_sha256)
            roi_event(db, roi, roi_program_ids(roi), WebhookEvent.ROI_SIGNED, r.key, r.signed_at)
            notify_users(db, [roi.created_by_user_id], kind="roi_signed", link=f"/roi/{roi.id}", key=r.key,
                         actor_id=r.actor.user_id,
                         text=f"Release of information #{roi.id} was signed ({r.method.label}); it is valid "
                              f"through {last_valid_day(r.expires_on):%m/%d/%Y}.")
            return attachment_id

    def _attach(self, db: Session, roi: ReleaseOfInformation, upload, at: datetime) -> int:
        for old in roi.attachments:
            if old.deleted_at is None:
                self._discard(old, upload.actor.user_id, at, keep=upload.storage_key)
        row = RoiAttachment(roi_id=roi.id, storage_path=upload.storage_key, filename=f"roi-{roi.id}-signed.pdf",
                            sha256=upload.sha256, size_bytes=upload.size_bytes,
                            uploaded_by_user_id=upload.actor.user_id, uploaded_at=at)
        db.add(row)
        db.flush()
        return row.id

    def _discard(self, attachment: RoiAttachment, user_id: int, at: datetime, keep: str = "") -> None:
        """Marks a scan deleted and removes its file (a wrong scan must not linger)."""
        attachment.deleted_at = at
        attachment.deleted_by_user_id = user_id
        if attachment.storage_path != keep:
            (self._settings.uploads_dir / attachment.storage_path).unlink(missing_ok=True)

    @activity.defn
    async def record_roi_attachment(self, r: RecordAttachment) -> int:
        return await self._run(self._attachment, r)

    def _attachment(self, r: RecordAttachment) -> int:
        with transaction(self._db) as db:
            roi = _roi(db, r.roi_id)
            if _done(db, r.key):
                return db.scalar(select(RoiAttachment.id).where(RoiAttachment.roi_id == roi.id)
                                 .order_by(RoiAttachment.id.desc()))
            at = activity.info().current_attempt_scheduled_time
            attachment_id = self._attach(db, roi, r.upload, at)
            audit.record(db, action="roi.attachment_replaced", entity_type="roi", entity_id=roi.id,
                         user_id=r.upload.actor.user_id, program_id=r.upload.actor.program_id,
                         idempotency_key=r.key, sha256=r.upload.sha256)
            return attachment_id

    @activity.defn
    async def record_roi_attachment_deleted(self, r: RecordAttachmentDeleted) -> None:
        await self._run(self._attachment_deleted, r)

    def _attachment_deleted(self, r: RecordAttachmentDeleted) -> None:
        with transaction(self._db) as db:
            if _done(db, r.key):
                return
            roi = _roi(db, r.roi_id)
            attachment = db.get(RoiAttachment, r.attachment_id)
            if attachment is None or attachment.roi_id != roi.id:
                raise NotFound("That file is not this ROI's scan.", code="attachment_not_found")
            if attachment.deleted_at is None:
                self._discard(attachment, r.actor.user_id, r.at)
            _move(roi, RoiState.AWAITING_SIGNATURE)
            roi.signed_at, roi.expires_on = None, None
            audit.record(db, action="roi.attachment_deleted", entity_type="roi", entity_id=roi.id,
                         user_id=r.actor.user_id, program_id=r.actor.program_id, idempotency_key=r.key,
                         attachment_id=r.attachment_id, signature="withdrawn")

    # --- revocation, abandonment, expiry --------------------------------------------------------

    @activity.defn
    async def record_roi_revocation(self, r: RecordRevocation) -> list[int]:
        return await self._run_then_dispatch(self._revocation, r)

    def _revocation(self, r: RecordRevocation) -> list[int]:
        with transaction(self._db) as db:
            if _done(db, r.key):
                return _outbox_ids(db, r.key)
            roi = _roi(db, r.roi_id)
            _move(roi, RoiState.REVOKED)
            roi.revoked_at = r.revoked_at
            roi.revoked_by_user_id = r.actor.user_id
            roi.revoke_reason = r.reason
            pending = pending_referrals_under(db, roi.id)
            audit.record(db, action="roi.revoked", entity_type="roi", entity_id=roi.id, user_id=r.actor.user_id,
                         program_id=r.actor.program_id, idempotency_key=r.key,
                         pending_referrals=[ref.id for ref in pending])
            blocked = (f" {len(pending)} pending referral(s) under it can no longer be sent." if pending else "")
            programs = roi_program_ids(roi)
            roi_event(db, roi, programs, WebhookEvent.ROI_REVOKED, r.key, r.revoked_at)
            return notify_users(
                db, {roi.created_by_user_id, *gatekeeper_ids(db, programs)}, kind="roi_revoked",
                link=f"/roi/{roi.id}", key=r.key, actor_id=r.actor.user_id, email_template="roi_revoked",
                text=f"Release of information #{roi.id} was revoked on {r.revoked_at:%m/%d/%Y}; no new "
                     f"referral can be sent under it.{blocked}",
                context={"roi_id": roi.id, "revoked_on": f"{r.revoked_at:%m/%d/%Y}", "pending": len(pending)},
                public_url=self._settings.public_url, from_address=self._settings.email_from,
            )

    @activity.defn
    async def record_roi_abandoned(self, r: RecordAbandoned) -> None:
        await self._run(self._abandoned, r)

    def _abandoned(self, r: RecordAbandoned) -> None:
        with transaction(self._db) as db:
            if _done(db, r.key):
                return
            roi = _roi(db, r.roi_id)
            _move(roi, RoiState.ABANDONED)
            for code in db.scalars(select(RoiSmsCode).where(RoiSmsCode.roi_id == roi.id,
                                                            RoiSmsCode.superseded_at.is_(None))):
                code.superseded_at = r.at
            audit.record(db, action="roi.abandoned", entity_type="roi", entity_id=roi.id, user_id=r.actor.user_id,
                         program_id=r.actor.program_id, idempotency_key=r.key)

    @activity.defn
    async def roi_notice(self, n: RoiNotice) -> list[int]:
        return await self._run_then_dispatch(self._notice, n)

    def _notice(self, n: RoiNotice) -> list[int]:
        key = f"roi-{n.roi_id}:{n.expires_on.isoformat()}:{n.event}"
        with transaction(self._db) as db:
            roi = _roi(db, n.roi_id)
            if n.event == "expired":
                if _done(db, key):
                    return []
                if roi.state == RoiState.SIGNED.value and roi.expires_on == n.expires_on:
                    _move(roi, RoiState.EXPIRED)
                audit.record(db, action="roi.expired", entity_type="roi", entity_id=roi.id, idempotency_key=key)
                if roi.state == RoiState.EXPIRED.value:
                    roi_event(db, roi, roi_program_ids(roi), WebhookEvent.ROI_EXPIRED, key, utcnow())
                return notify_users(db, [roi.created_by_user_id], kind="roi_expired", link=f"/roi/{roi.id}", key=key, actor_id=None,
                                    text=f"Release of information #{roi.id} expired on {n.expires_on:%m/%d/%Y}. "
                                         "No new referral can be sent under it; the client can sign a new one.")
            recipients = {roi.created_by_user_id, *gatekeeper_ids(db, [roi.sending_program_id])}
            return notify_users(db, recipients, kind="roi_expiring", link=f"/roi/{roi.id}", key=key, actor_id=None,
                                text=f"Release of information #{roi.id} expires on {n.expires_on:%m/%d/%Y}. "
                                     "If referrals will still be needed, ask the client to sign a new one.")
