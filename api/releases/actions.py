"""What the ROI pages and the ROI JSON API both do: authorise the actor on the ROI, check the
input, and drive the ROI workflow. Routes stay thin and call these."""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fastapi import Request, UploadFile
from fastapi.responses import FileResponse
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session
from temporalio.client import Client as TemporalClient, WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.deps import Actor
from api.errors import from_workflow_failure
from api.idempotency import claim_form_key, created_before, remember_created
from api.updates import IDEMPOTENCY_HEADER, bounded_wait, request_key
from models.accounts.credentials import keyed_hash
from connect.settings import Settings
from connect.workflow_client import ensure_started, roi_run, update
from domain.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from domain.montana import local_date
from domain.phones import NO_PHONE, normalize_phone
from domain.roi import (
    ROI_TRANSITIONS,
    AuthorizerKind,
    RoiState,
    SignatureMethod,
    check_authorizer,
    check_information_types,
    check_purpose,
    check_signable,
    check_signature_method,
    check_sms_recipient,
)
from domain.sms_code import normalize_sms_code
from models import audit
from models.clients.records import kept_client
from models.clients.access import can_see_client
from models.clients.contact import (
    ContactChanges,
    check_contact_changes,
    client_mobile,
    textable_phones,
    update_client_contact,
)
from models.clients.tables import Client
from models.db import release_before_wait
from models.releases.queries import (
    check_roi_access,
    create_roi_drafts,
    get_roi,
    sms_opted_out,
)
from models.releases.tables import ReleaseOfInformation, RoiAttachment
from models.workflow_starts import ROI, mark_started
from workflows.policy import DEFAULT_POLICY, TimerPolicy
from workflows.roi import RoiWorkflow
from workflows.roi_contracts import (
    AbandonRoi,
    AttachUpload,
    ChoosePrograms,
    CompleteRoi,
    DeleteAttachment,
    EnterCode,
    MarkUploadPending,
    ResendCode,
    RevokeRoi,
    RoiActor,
    RoiStatus,
    SignEsign,
    StartSms,
)


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


async def temporal_of(request: Request) -> TemporalClient:
    return await request.app.state.temporal.get()


def timer_policy(request: Request) -> TimerPolicy:
    """Production uses the defaults; a test may set `app.state.timer_policy`."""
    return getattr(request.app.state, "timer_policy", DEFAULT_POLICY)


def roi_actor(actor: Actor) -> RoiActor:
    assert actor.program_id is not None  # MouActor guarantees a program
    return RoiActor(actor.user.id, actor.program_id)


def roi_for(db: Session, roi_id: int, actor: Actor, moment: datetime, *, manage: bool = False) -> ReleaseOfInformation:
    """The ROI if the actor's program may read it (or, with `manage`, change it)."""
    roi = get_roi(db, roi_id)
    check_roi_access(roi, actor.program_id, local_date(moment), manage=manage)
    return roi


def _final(state: RoiState) -> InvalidTransition:
    return InvalidTransition(f"This release of information is {state.label.lower()}; it can no longer change.",
                             code="roi_final")


async def update_roi(request: Request, roi: ReleaseOfInformation, update_fn, argument) -> RoiStatus:
    """Runs a workflow update; a refusal becomes a 4xx ApiError carrying the workflow's reason.

    Update-with-start: a draft whose workflow never started (Temporal was down when the row was
    created) gets it started by the change, so the draft is not lost. A final ROI's workflow has
    ended with it and is never run again: its changes are refused from the database (an ROI that
    is not final has a running workflow, as its run ends only with the final states).
    """
    state = RoiState(roi.state)
    if not ROI_TRANSITIONS[state]:
        raise _final(state)
    run = roi_run(roi.id, roi.sending_program_id, timer_policy(request))
    release_before_wait(object_session(roi))
    # The key is the update id, so a retry after a 503 is applied once by the workflow.
    key = await request_key(request)
    settings = settings_of(request)
    try:
        return await bounded_wait(update(await temporal_of(request), settings, run, update_fn, argument,
                                         update_id=key), settings)
    except (WorkflowUpdateFailedError, RPCError) as exc:
        mapped = from_workflow_failure(exc)
        if mapped is None:
            raise
        raise mapped from None


def audit_client_view(db: Session, actor: Actor, roi: ReleaseOfInformation, via: str) -> None:
    """The ROI's text names the client: reading it is a view of the client's details."""
    audit.record_client_view(db, client_id=roi.client_id, user_id=actor.user.id, program_id=actor.program_id,
                             via=via)
    db.commit()


# --- starting and completing -----------------------------------------------------------------


async def start_rois(request: Request, db: Session, actor: Actor, client: Client, program_ids: list[int],
                     one_per_program: bool, moment: datetime) -> list[ReleaseOfInformation]:
    """Creates the draft ROI(s) and starts each one's workflow. A repeat of the request (the same
    idempotency key: a double click, a retry after a lost answer or after a 503) gets the ROIs the
    first one created, through the idempotency records (api.idempotency: the JSON API's layer
    claims an Idempotency-Key, a page's form claims its hidden key here); their workflows are
    started again (a running one is kept), or are owed and started by the recovery sweep."""
    if not request.headers.get(IDEMPOTENCY_HEADER):
        await claim_form_key(request, actor, moment)
    if earlier := created_before(request).get("rois"):
        rows = [get_roi(db, roi_id) for roi_id in earlier]
    else:
        rows = create_roi_drafts(db, client=client, sending_program_id=actor.program_id, user_id=actor.user.id,
                                 program_ids=program_ids, one_per_program=one_per_program,
                                 today=local_date(moment))
        db.commit()
    remember_created(request, {"rois": [roi.id for roi in rows]})
    for roi in (r for r in rows if r.state == RoiState.DRAFT.value):  # a final one's run has ended
        await ensure_started(await temporal_of(request), settings_of(request),
                             roi_run(roi.id, roi.sending_program_id, timer_policy(request)))
    # Started: the recovery sweep need not (had Temporal failed, it would start them later).
    mark_started(db, ROI, [roi.id for roi in rows])
    db.commit()
    return rows


async def choose_programs(request: Request, actor: Actor, roi: ReleaseOfInformation, program_ids: list[int],
                          db: Session, moment: datetime) -> RoiStatus:
    from models.releases.queries import check_receiving_programs

    wanted = check_receiving_programs(db, roi.sending_program_id, program_ids, local_date(moment))
    return await update_roi(request, roi, RoiWorkflow.choose_programs, ChoosePrograms(roi_actor(actor), wanted))


@dataclass
class CompleteInput:
    information_types: list[str]
    sensitive_consent: list[str]
    purpose: str
    authorizer_kind: str
    authorizer_name: str = ""
    authorizer_relationship: str = ""


async def complete_roi(request: Request, db: Session, actor: Actor, roi: ReleaseOfInformation,
                       data: CompleteInput, contact: ContactChanges | None, moment: datetime) -> RoiStatus:
    """Saves the "Complete ROI" tab: client contact changes, then the ROI's details.

    Everything is checked before anything is written; the client's changes are saved only once
    the workflow accepted the ROI's details.
    """
    client = kept_client(db, roi.client_id)
    check_information_types(data.information_types, data.sensitive_consent)
    check_purpose(data.purpose)
    kind = AuthorizerKind(data.authorizer_kind) if data.authorizer_kind in set(AuthorizerKind) else None
    if kind is None:
        raise ValidationFailed("Choose who authorises this release.", field="authorizer_kind")
    check_authorizer(kind, data.authorizer_name, data.authorizer_relationship)
    if contact is not None:
        check_contact_changes(contact)
        sees = can_see_client(db, actor.program_id, client.id, local_date(moment))
        if not sees and any(v is not None for v in vars(contact).values()):
            raise NotAllowed("Your program does not have this client's consent to see or change their "
                             "stored details yet, so it cannot change their phone numbers or address.",
                             code="contact_needs_consent")
    self_signs = kind is AuthorizerKind.SELF
    status = await update_roi(request, roi, RoiWorkflow.complete, CompleteRoi(
        actor=roi_actor(actor),
        information_types=list(data.information_types),
        sensitive_consent=list(data.sensitive_consent),
        purpose=data.purpose,
        authorizer_kind=kind.value,
        authorizer_name=client.full_name if self_signs else data.authorizer_name.strip(),
        authorizer_relationship="" if self_signs else data.authorizer_relationship.strip(),
    ))
    if contact is not None:
        update_client_contact(db, client, contact, user_id=actor.user.id, program_id=actor.program_id)
        db.commit()
    return status


# --- signing -----------------------------------------------------------------------------------


async def sign_esign(request: Request, db: Session, actor: Actor, roi: ReleaseOfInformation, typed_name: str,
                     confirmed: bool, moment: datetime) -> RoiStatus:
    check_signature_method(SignatureMethod.ESIGN,
                           can_see_client(db, roi.sending_program_id, roi.client_id, local_date(moment)))
    return await update_roi(request, roi, RoiWorkflow.sign_esign,
                            SignEsign(roi_actor(actor), typed_name or "", bool(confirmed)))


@dataclass
class SmsStarted:
    """The consent request went out; ``phone_added`` when the number typed was new to the client's
    profile and is now kept there as their mobile (the page says so)."""

    status: RoiStatus
    phone_added: bool


async def start_sms(request: Request, db: Session, actor: Actor, roi: ReleaseOfInformation, phone_text: str | None,
                    moment: datetime, phone_id: int | None = None) -> SmsStarted:
    """Texts the consent request to the number typed (kept as the client's mobile), to the number on
    file chosen by its id, or, if neither is given, to the client's mobile on file.

    Only a program that sees the client may type a number (``check_sms_recipient``)."""
    client = kept_client(db, roi.client_id)
    check_signable(RoiState(roi.state), bool(roi.text_sha256))
    typed = bool(phone_text and phone_text.strip())
    check_sms_recipient(can_see_client(db, actor.program_id, client.id, local_date(moment)), typed,
                        phone_id is not None)
    if typed:
        e164 = normalize_phone(phone_text)
        if e164 == NO_PHONE:
            raise ValidationFailed("(999) 999-9999 means the client has no phone; choose E-sign or Upload "
                                   "instead.", field="phone", code="no_phone")
        _check_not_opted_out(db, e164)
        phone = next((p for p in client.phones if p.e164 == e164), None)
        added = phone is None
        if added:
            update_client_contact(db, client, ContactChanges(mobile_phone=e164), user_id=actor.user.id,
                                  program_id=actor.program_id)
            db.commit()
            phone = client_mobile(client)
    elif phone_id is not None:
        added, phone = False, next((p for p in textable_phones(client) if p.id == phone_id), None)
        if phone is None:
            raise ValidationFailed("Choose one of the client's numbers on file.", field="phone_id",
                                   code="unknown_phone")
        _check_not_opted_out(db, phone.e164)
    else:
        added, phone = False, client_mobile(client)
        if phone is None:
            raise ValidationFailed("The client has no mobile number on file; enter the number to text.",
                                   field="phone", code="no_mobile")
    status = await update_roi(request, roi, RoiWorkflow.start_sms, StartSms(roi_actor(actor), phone.id))
    return SmsStarted(status, added)


def _check_not_opted_out(db: Session, e164: str) -> None:
    if sms_opted_out(db, e164):
        raise ValidationFailed("This number replied STOP, so CONNECT may not text it. The client can text "
                               "START to allow texts again, or sign another way.", field="phone",
                               code="sms_opted_out")


async def enter_code(request: Request, actor: Actor, roi: ReleaseOfInformation, code_text: str) -> RoiStatus:
    code = normalize_sms_code(code_text)
    # Only the HMAC leaves the API: the code itself never reaches Temporal.
    digest = keyed_hash(settings_of(request).secret_key, code)
    return await update_roi(request, roi, RoiWorkflow.enter_code, EnterCode(roi_actor(actor), digest))


async def resend_code(request: Request, actor: Actor, roi: ReleaseOfInformation) -> RoiStatus:
    return await update_roi(request, roi, RoiWorkflow.resend_code, ResendCode(roi_actor(actor)))


async def mark_upload_pending(request: Request, actor: Actor, roi: ReleaseOfInformation) -> RoiStatus:
    return await update_roi(request, roi, RoiWorkflow.mark_upload_pending, MarkUploadPending(roi_actor(actor)))


# --- uploads -----------------------------------------------------------------------------------


@dataclass
class StoredPdf:
    storage_key: str
    sha256: str
    size_bytes: int
    created: bool  # False when the same file was stored before


async def store_pdf(settings: Settings, roi_id: int, upload: UploadFile | None) -> StoredPdf:
    """Checks an upload is a real PDF within the size limit and stores it under the uploads
    directory (outside the web root), named by its SHA-256."""
    if upload is None:
        raise ValidationFailed("Choose the scanned, signed ROI (a PDF file) to upload.", field="file",
                               code="file_missing")
    limit = settings.upload_max_bytes
    data = await upload.read(limit + 1)
    if not data:
        raise ValidationFailed("The file is empty; scan the signed ROI again.", field="file", code="file_empty")
    if len(data) > limit:
        raise ValidationFailed(f"The file is larger than {limit // (1024 * 1024) or 1} MB; scan at a lower "
                               "resolution or in black and white.", field="file", code="file_too_large")
    if not data.startswith(b"%PDF-"):
        raise ValidationFailed("Only PDF files can be uploaded; save or print the scan as a PDF.",
                               field="file", code="file_not_pdf")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted or len(reader.pages) < 1:
            raise ValueError
    except Exception:
        raise ValidationFailed("This PDF could not be read (damaged, empty or password-protected); scan "
                               "the signed ROI again.", field="file", code="file_unreadable") from None
    digest = hashlib.sha256(data).hexdigest()
    key = f"roi/{roi_id}/{digest}.pdf"
    path = settings.uploads_dir / key
    created = not path.exists()
    if created:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        os.chmod(partial, 0o600)
        partial.replace(path)
    return StoredPdf(key, digest, len(data), created)


def discard_unused(db: Session, settings: Settings, stored: StoredPdf) -> None:
    """Removes a file stored for an upload the workflow refused (unless an attachment uses it)."""
    in_use = db.scalar(select(RoiAttachment.id).where(RoiAttachment.storage_path == stored.storage_key,
                                                      RoiAttachment.deleted_at.is_(None)))
    if stored.created and in_use is None:
        (settings.uploads_dir / stored.storage_key).unlink(missing_ok=True)


async def attach_upload(request: Request, db: Session, actor: Actor, roi: ReleaseOfInformation,
                        upload: UploadFile | None) -> RoiStatus:
    settings = settings_of(request)
    stored = await store_pdf(settings, roi.id, upload)
    try:
        return await update_roi(request, roi, RoiWorkflow.attach_upload,
                                AttachUpload(roi_actor(actor), stored.storage_key, stored.sha256, stored.size_bytes))
    except Exception:
        db.rollback()
        discard_unused(db, settings, stored)
        raise


def attachment_for(db: Session, roi: ReleaseOfInformation, attachment_id: int) -> RoiAttachment:
    attachment = db.get(RoiAttachment, attachment_id)
    if attachment is None or attachment.roi_id != roi.id or attachment.deleted_at is not None:
        raise NotFound("That file was not found (it may have been deleted or replaced).")
    return attachment


def attachment_path(settings: Settings, db: Session, actor: Actor, roi: ReleaseOfInformation,
                    attachment_id: int) -> tuple[Path, RoiAttachment]:
    """The stored file of a live attachment; reading it is audited."""
    attachment = attachment_for(db, roi, attachment_id)
    path = settings.uploads_dir / attachment.storage_path
    if not path.is_file():
        raise NotFound("That file is missing from storage.")
    audit.record(db, action="roi.attachment_viewed", entity_type="roi", entity_id=roi.id, user_id=actor.user.id,
                 program_id=actor.program_id, attachment_id=attachment.id)
    db.commit()
    return path, attachment


def attachment_download(settings: Settings, db: Session, actor: Actor, roi: ReleaseOfInformation,
                        attachment_id: int) -> FileResponse:
    """The signed scan as a download, never shown inside CONNECT's pages: an uploaded PDF may
    carry an /OpenAction script, and a browser's viewer would run it in CONNECT's origin."""
    path, attachment = attachment_path(settings, db, actor, roi, attachment_id)
    return FileResponse(path, media_type="application/pdf", filename=attachment.filename,
                        content_disposition_type="attachment")


async def delete_attachment(request: Request, db: Session, actor: Actor, roi: ReleaseOfInformation,
                            attachment_id: int) -> RoiStatus:
    attachment_for(db, roi, attachment_id)
    return await update_roi(request, roi, RoiWorkflow.delete_attachment,
                            DeleteAttachment(roi_actor(actor), attachment_id))


# --- revoke and abandon ------------------------------------------------------------------------


async def revoke(request: Request, actor: Actor, roi: ReleaseOfInformation, reason: str) -> RoiStatus:
    return await update_roi(request, roi, RoiWorkflow.revoke, RevokeRoi(roi_actor(actor), reason or ""))


async def abandon(request: Request, actor: Actor, roi: ReleaseOfInformation) -> RoiStatus:
    return await update_roi(request, roi, RoiWorkflow.abandon, AbandonRoi(roi_actor(actor)))
