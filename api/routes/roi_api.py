"""The ROI JSON API: /api/v1/roi... (create, choose programs, complete, sign by each method,
resend, upload, revoke, read). Refusals come back as 4xx with the workflow's reason."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api import roi_actions as act
from api.deps import Actor, DbSession, MouActor, Now, SettingsDep, today_local
from domain.roi import InformationType, RoiState, SignatureMethod
from models.client_contact import ContactChanges
from models.directory import DirectoryFilters, search_directory
from models.org import Program
from models.releases import client_rois, live_attachment, roi_programs, roi_text_for
from models.roi import ReleaseOfInformation

router = APIRouter(prefix="/api/v1/roi", tags=["releases of information"])


class StartRoisIn(BaseModel):
    client_id: int
    program_ids: list[int] = Field(description="Receiving programs; the sending program is always on the ROI.")
    one_per_program: bool = Field(False, description="One ROI per program, so they do not see each other.")


class ProgramsIn(BaseModel):
    program_ids: list[int]


class ContactIn(BaseModel):
    mobile_phone: str | None = None
    email: str | None = None
    address: str | None = None
    city: str | None = None
    county: str | None = None
    zip: str | None = None


class CompleteIn(BaseModel):
    information_types: list[str]
    sensitive_consent: list[str] = Field(default_factory=list,
                                         description="Sensitive types the client explicitly consented to.")
    purpose: str
    authorizer_kind: str = "self"
    authorizer_name: str = ""
    authorizer_relationship: str = ""
    client: ContactIn | None = Field(None, description="Changes to the client's contact details.")


class EsignIn(BaseModel):
    typed_name: str
    confirmed: bool


class SmsIn(BaseModel):
    phone: str | None = Field(None, description="The mobile to text; omitted: the client's mobile on file.")


class CodeIn(BaseModel):
    code: str


class RevokeIn(BaseModel):
    reason: str


def program_json(program: Program) -> dict:
    return {"id": program.id, "name": program.display_name, "agency": program.agency.name,
            "region": program.region, "is_part2": program.is_part2,
            "services": sorted(s.service for s in program.services),
            "insurance": sorted(i.insurance for i in program.insurances),
            "counties": sorted(c.county for c in program.counties)}


def roi_json(db: Session, roi: ReleaseOfInformation, actor: Actor, moment: datetime) -> dict:
    db.refresh(roi)
    attachment = live_attachment(roi)
    return {
        "id": roi.id,
        "client_id": roi.client_id,
        "state": roi.state,
        "sending_program_id": roi.sending_program_id,
        "programs": [{"id": p.id, "name": p.display_name, "is_part2": p.is_part2} for p in roi_programs(db, roi)],
        "information_types": roi.information_types,
        "purpose": roi.purpose,
        "authorizer_kind": roi.authorizer_kind,
        "authorizer_name": roi.authorizer_name,
        "authorizer_relationship": roi.authorizer_relationship,
        "completed": bool(roi.text_sha256),
        "signature_method": roi.signature_method,
        "signed_at": roi.signed_at.isoformat() if roi.signed_at else None,
        "expires_on": roi.expires_on.isoformat() if roi.expires_on else None,
        "revoked_at": roi.revoked_at.isoformat() if roi.revoked_at else None,
        "revoke_reason": roi.revoke_reason,
        "text_sha256": roi.text_sha256,
        "rendered_text": roi_text_for(db, roi, actor.program_id, today_local(moment)),
        "attachment": {"id": attachment.id, "sha256": attachment.sha256, "size_bytes": attachment.size_bytes,
                       "uploaded_at": attachment.uploaded_at.isoformat()} if attachment else None,
    }


@router.get("/directory", summary="Search the directory for programs to put on an ROI")
async def directory(
    actor: MouActor, db: DbSession, moment: Now,
    county: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI reads the default)
    service: Annotated[list[str], Query()] = [],  # noqa: B006
    insurance: Annotated[list[str], Query()] = [],  # noqa: B006
    agency: str = "", page: int = 1,
):
    found = search_directory(db, DirectoryFilters(tuple(county), tuple(service), tuple(insurance), agency),
                             today_local(moment), page=page, exclude_ids=[actor.program_id])
    return {"items": [program_json(p) for p in found.items], "total": found.total, "page": found.number,
            "pages": found.pages}


# Vocabularies a client of the API needs to fill the forms.
@router.get("/vocabulary", summary="Information types, signature methods and states")
async def vocabulary(actor: MouActor):
    return {
        "information_types": [{"code": t.value, "label": t.label, "sensitive": t.sensitive} for t in InformationType],
        "signature_methods": [{"code": m.value, "label": m.label} for m in SignatureMethod],
        "states": [{"code": s.value, "label": s.label} for s in RoiState],
    }


@router.get("", summary="The client's ROIs that cover your program")
async def list_rois(actor: MouActor, db: DbSession, moment: Now, client_id: int):
    return {"items": [{"id": roi.id, "state": roi.state, "signature_method": roi.signature_method,
                       "expires_on": roi.expires_on.isoformat() if roi.expires_on else None}
                      for roi in client_rois(db, client_id, actor.program_id, today_local(moment))]}


@router.post("", status_code=201, summary="Start new ROI(s) for a client")
async def create(body: StartRoisIn, request: Request, actor: MouActor, db: DbSession, moment: Now):
    client = act.client_for_roi(db, body.client_id)
    rows = await act.start_rois(request, db, actor, client, body.program_ids, body.one_per_program, moment)
    return {"rois": [roi_json(db, roi, actor, moment) for roi in rows]}


@router.get("/{roi_id}", summary="Read an ROI")
async def read(roi_id: int, actor: MouActor, db: DbSession, moment: Now):
    roi = act.roi_for(db, roi_id, actor, moment)
    act.audit_client_view(db, actor, roi, f"api:roi:{roi.id}")
    return roi_json(db, roi, actor, moment)


@router.put("/{roi_id}/programs", summary="Choose the programs of a draft ROI")
async def programs(roi_id: int, body: ProgramsIn, request: Request, actor: MouActor, db: DbSession, moment: Now):
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.choose_programs(request, actor, roi, body.program_ids, db, moment)
    return roi_json(db, roi, actor, moment)


@router.post("/{roi_id}/complete", summary="Complete the ROI: information types, purpose, authoriser")
async def complete(roi_id: int, body: CompleteIn, request: Request, actor: MouActor, db: DbSession, moment: Now):
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    data = act.CompleteInput(body.information_types, body.sensitive_consent, body.purpose, body.authorizer_kind,
                             body.authorizer_name, body.authorizer_relationship)
    contact = ContactChanges(**body.client.model_dump()) if body.client else None
    await act.complete_roi(request, db, actor, roi, data, contact, moment)
    return roi_json(db, roi, actor, moment)


@router.post("/{roi_id}/sign/esign", summary="E-sign: the authoriser types their name and confirms")
async def esign(roi_id: int, body: EsignIn, request: Request, actor: MouActor, db: DbSession, moment: Now):
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.sign_esign(request, db, actor, roi, body.typed_name, body.confirmed, moment)
    return roi_json(db, roi, actor, moment)


@router.post("/{roi_id}/sign/sms", summary="Text message: text the client for their YES")
async def sms(roi_id: int, body: SmsIn, request: Request, actor: MouActor, db: DbSession, moment: Now):
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.start_sms(request, db, actor, roi, body.phone, moment)
    return roi_json(db, roi, actor, moment)


@router.post("/{roi_id}/sign/sms/code", summary="Enter the security code the client relays")
async def code(roi_id: int, body: CodeIn, request: Request, actor: MouActor, db: DbSession, moment: Now):
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.enter_code(request, actor, roi, body.code)
    return roi_json(db, roi, actor, moment)


@router.post("/{roi_id}/sign/sms/resend", summary="Text the client a new code (the old one stops working)")
async def resend(roi_id: int, request: Request, actor: MouActor, db: DbSession, moment: Now):
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.resend_code(request, actor, roi)
    return roi_json(db, roi, actor, moment)


@router.post("/{roi_id}/sign/upload", summary="Upload: mark the signature as pending upload")
async def upload_pending(roi_id: int, request: Request, actor: MouActor, db: DbSession, moment: Now):
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.mark_upload_pending(request, actor, roi)
    return roi_json(db, roi, actor, moment)


@router.post("/{roi_id}/attachments", status_code=201, summary="Upload (or replace) the signed scan, a PDF")
async def upload(roi_id: int, request: Request, actor: MouActor, db: DbSession, moment: Now,
                 file: Annotated[UploadFile | None, File()] = None):
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.attach_upload(request, db, actor, roi, file)
    return roi_json(db, roi, actor, moment)


@router.get("/{roi_id}/attachments/{attachment_id}", summary="Download the signed scan")
async def download(roi_id: int, attachment_id: int, actor: MouActor, db: DbSession, moment: Now,
                   settings: SettingsDep):
    roi = act.roi_for(db, roi_id, actor, moment)
    return act.attachment_download(settings, db, actor, roi, attachment_id)


@router.delete("/{roi_id}/attachments/{attachment_id}", summary="Delete the scan (the ROI awaits a new one)")
async def delete(roi_id: int, attachment_id: int, request: Request, actor: MouActor, db: DbSession, moment: Now):
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.delete_attachment(request, db, actor, roi, attachment_id)
    return roi_json(db, roi, actor, moment)


@router.post("/{roi_id}/revoke", summary="Revoke a signed ROI at the client's request")
async def revoke(roi_id: int, body: RevokeIn, request: Request, actor: MouActor, db: DbSession, moment: Now):
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.revoke(request, actor, roi, body.reason)
    return roi_json(db, roi, actor, moment)


@router.post("/{roi_id}/abandon", summary="Abandon an unsigned ROI")
async def abandon(roi_id: int, request: Request, actor: MouActor, db: DbSession, moment: Now):
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.abandon(request, actor, roi)
    return roi_json(db, roi, actor, moment)
