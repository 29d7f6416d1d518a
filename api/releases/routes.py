"""The ROI JSON API: /api/v1/roi... (create, choose programs, complete, sign by each method,
resend, upload, revoke, read). Refusals come back as 4xx with the workflow's reason."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.releases import actions as act
from api.deps import Actor, DbSession, MouActor, Now, SettingsDep
from api.clients.forms import ContactIn
from api.schema_types import (
    Code,
    CountyName,
    Id,
    Ids,
    InsuranceCode,
    LongText,
    Name,
    PageNumber,
    PerPage,
    Phone,
    Purpose,
    ServiceCode,
    ShortText,
)
from domain.montana import local_date
from domain.phones import mask_phone
from domain.roi import InformationType, RoiState, SignatureMethod
from models.clients.records import kept_client
from models.clients.contact import ContactChanges, textable_phones
from models.clients.tables import Client
from models.agencies.directory import DirectoryFilters, search_directory
from models.agencies.tables import Program
from models.paging import PER_PAGE
from models.releases.queries import client_rois, live_attachment, roi_programs, roi_text_for
from models.releases.tables import ReleaseOfInformation

router = APIRouter(prefix="/api/v1/roi", tags=["releases of information"])


class StartRoisIn(BaseModel):
    client_id: Id
    program_ids: Ids = Field(description="Receiving programs; the sending program is always on the ROI.")
    one_per_program: bool = Field(False, description="One ROI per program, so they do not see each other.")


class ProgramsIn(BaseModel):
    program_ids: Ids


class CompleteIn(BaseModel):
    information_types: list[Code] = Field(max_length=50, description="Codes of GET /api/v1/vocabularies.")
    sensitive_consent: list[Code] = Field(default_factory=list, max_length=50,
                                         description="Sensitive types the client explicitly consented to.")
    purpose: Purpose
    authorizer_kind: Code = "self"
    authorizer_name: Name = ""
    authorizer_relationship: ShortText = ""
    client: ContactIn | None = Field(None, description="Changes to the client's contact details.")


class EsignIn(BaseModel):
    typed_name: ShortText
    confirmed: bool


class SmsIn(BaseModel):
    phone: Phone | None = Field(None, description="A new mobile to text (added to the client's profile); only a "
                                "program that can see the client may type one.")
    phone_id: Id | None = Field(None, description="A number on file to text, from the ROI's client_phones. "
                                "Both omitted: the client's mobile on file.")


class CodeIn(BaseModel):
    code: Code


class RevokeIn(BaseModel):
    reason: LongText


class ProgramOut(BaseModel):
    id: int
    name: str
    agency: str
    region: int
    is_part2: bool = Field(description="A 42 CFR Part 2 program (substance use): its ROI stands alone.")
    services: list[str]
    insurance: list[str]
    counties: list[str]


class DirectoryPage(BaseModel):
    items: list[ProgramOut]
    total: int
    page: int
    per_page: int
    pages: int


class RoiProgramOut(BaseModel):
    id: int
    name: str
    is_part2: bool


class AttachmentOut(BaseModel):
    id: int
    sha256: str
    size_bytes: int
    uploaded_at: str = Field(description="ISO 8601")


class PhoneOnFileOut(BaseModel):
    id: int
    label: str = Field(description="mobile, home, work or other")
    masked: str = Field(description='For example "(•••) •••-1234".')


class RoiOut(BaseModel):
    id: int
    client_id: int
    state: RoiState
    sending_program_id: int
    programs: list[RoiProgramOut]
    information_types: list[str]
    purpose: str
    authorizer_kind: str
    authorizer_name: str
    authorizer_relationship: str
    completed: bool
    signature_method: SignatureMethod | None
    signed_at: str | None = Field(description="ISO 8601")
    expires_on: str | None = Field(description="ISO 8601 date")
    revoked_at: str | None = Field(description="ISO 8601")
    revoke_reason: str
    text_sha256: str | None
    rendered_text: str | None
    attachment: AttachmentOut | None
    client_phones: list[PhoneOnFileOut] = Field(
        description="The client's numbers on file to choose for a text, with all but the last four digits hidden.")


class RoiBrief(BaseModel):
    id: int
    state: RoiState
    signature_method: SignatureMethod | None
    expires_on: str | None = Field(description="ISO 8601 date")


class RoiList(BaseModel):
    items: list[RoiBrief]


class StartedRois(BaseModel):
    rois: list[RoiOut]


class VocabularyEntry(BaseModel):
    code: str
    label: str


class InformationTypeOut(VocabularyEntry):
    sensitive: bool


class RoiVocabulary(BaseModel):
    information_types: list[InformationTypeOut]
    signature_methods: list[VocabularyEntry]
    states: list[VocabularyEntry]


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
        "rendered_text": roi_text_for(db, roi, actor.program_id, local_date(moment)),
        "attachment": {"id": attachment.id, "sha256": attachment.sha256, "size_bytes": attachment.size_bytes,
                       "uploaded_at": attachment.uploaded_at.isoformat()} if attachment else None,
        "client_phones": [{"id": p.id, "label": p.label, "masked": mask_phone(p.e164)}
                          for p in textable_phones(db.get(Client, roi.client_id))],
    }


@router.get("/directory", summary="Search the directory for programs to put on an ROI")
async def directory(
    actor: MouActor, db: DbSession, moment: Now,
    county: Annotated[list[CountyName], Query(max_length=60, description="Montana counties served")] = [],  # noqa: B006
    service: Annotated[list[ServiceCode], Query(max_length=60, description="Service codes")] = [],  # noqa: B006
    insurance: Annotated[list[InsuranceCode], Query(max_length=60, description="Insurance codes")] = [],  # noqa: B006
    agency: Annotated[ShortText, Query(description="Part of the agency's or program's name")] = "",
    page: PageNumber = 1, per_page: PerPage = PER_PAGE,
) -> DirectoryPage:
    found = search_directory(db, DirectoryFilters(tuple(county), tuple(service), tuple(insurance), agency),
                             local_date(moment), page=page, per_page=per_page, exclude_ids=[actor.program_id])
    return DirectoryPage(items=[ProgramOut(**program_json(p)) for p in found.items], total=found.total,
                         page=found.number, per_page=found.per_page, pages=found.pages)


# Vocabularies a client of the API needs to fill the forms.
@router.get("/vocabulary", summary="Information types, signature methods and states")
async def vocabulary(actor: MouActor) -> RoiVocabulary:
    return {
        "information_types": [{"code": t.value, "label": t.label, "sensitive": t.sensitive} for t in InformationType],
        "signature_methods": [{"code": m.value, "label": m.label} for m in SignatureMethod],
        "states": [{"code": s.value, "label": s.label} for s in RoiState],
    }


@router.get("", summary="The client's ROIs that cover your program")
async def list_rois(actor: MouActor, db: DbSession, moment: Now, client_id: Id) -> RoiList:
    return {"items": [{"id": roi.id, "state": roi.state, "signature_method": roi.signature_method,
                       "expires_on": roi.expires_on.isoformat() if roi.expires_on else None}
                      for roi in client_rois(db, client_id, actor.program_id, local_date(moment))]}


@router.post("", status_code=201, summary="Start new ROI(s) for a client")
async def create(body: StartRoisIn, request: Request, actor: MouActor, db: DbSession, moment: Now) -> StartedRois:
    client = kept_client(db, body.client_id)
    rows = await act.start_rois(request, db, actor, client, body.program_ids, body.one_per_program, moment)
    return {"rois": [roi_json(db, roi, actor, moment) for roi in rows]}


@router.get("/{roi_id}", summary="Read an ROI")
async def read(roi_id: Id, actor: MouActor, db: DbSession, moment: Now) -> RoiOut:
    roi = act.roi_for(db, roi_id, actor, moment)
    act.audit_client_view(db, actor, roi, f"api:roi:{roi.id}")
    return roi_json(db, roi, actor, moment)


@router.put("/{roi_id}/programs", summary="Choose the programs of a draft ROI")
async def programs(roi_id: Id, body: ProgramsIn, request: Request, actor: MouActor, db: DbSession, moment: Now) -> RoiOut:
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.choose_programs(request, actor, roi, body.program_ids, db, moment)
    return roi_json(db, roi, actor, moment)


@router.post("/{roi_id}/complete", summary="Complete the ROI: information types, purpose, authoriser")
async def complete(roi_id: Id, body: CompleteIn, request: Request, actor: MouActor, db: DbSession, moment: Now) -> RoiOut:
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    data = act.CompleteInput(body.information_types, body.sensitive_consent, body.purpose, body.authorizer_kind,
                             body.authorizer_name, body.authorizer_relationship)
    contact = ContactChanges(**body.client.model_dump()) if body.client else None
    await act.complete_roi(request, db, actor, roi, data, contact, moment)
    return roi_json(db, roi, actor, moment)


@router.post("/{roi_id}/sign/esign", summary="E-sign: the authoriser types their name and confirms")
async def esign(roi_id: Id, body: EsignIn, request: Request, actor: MouActor, db: DbSession, moment: Now) -> RoiOut:
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.sign_esign(request, db, actor, roi, body.typed_name, body.confirmed, moment)
    return roi_json(db, roi, actor, moment)


@router.post("/{roi_id}/sign/sms", summary="Text message: text the client for their YES")
async def sms(roi_id: Id, body: SmsIn, request: Request, actor: MouActor, db: DbSession, moment: Now) -> RoiOut:
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.start_sms(request, db, actor, roi, body.phone, moment, body.phone_id)
    return roi_json(db, roi, actor, moment)


@router.post("/{roi_id}/sign/sms/code", summary="Enter the security code the client relays")
async def code(roi_id: Id, body: CodeIn, request: Request, actor: MouActor, db: DbSession, moment: Now) -> RoiOut:
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.enter_code(request, actor, roi, body.code)
    return roi_json(db, roi, actor, moment)


@router.post("/{roi_id}/sign/sms/resend", summary="Text the client a new code (the old one stops working)")
async def resend(roi_id: Id, request: Request, actor: MouActor, db: DbSession, moment: Now) -> RoiOut:
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.resend_code(request, actor, roi)
    return roi_json(db, roi, actor, moment)


@router.post("/{roi_id}/sign/upload", summary="Upload: mark the signature as pending upload")
async def upload_pending(roi_id: Id, request: Request, actor: MouActor, db: DbSession, moment: Now) -> RoiOut:
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.mark_upload_pending(request, actor, roi)
    return roi_json(db, roi, actor, moment)


@router.post("/{roi_id}/attachments", status_code=201, summary="Upload (or replace) the signed scan, a PDF")
async def upload(roi_id: Id, request: Request, actor: MouActor, db: DbSession, moment: Now,
                 file: Annotated[UploadFile | None, File()] = None) -> RoiOut:
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.attach_upload(request, db, actor, roi, file)
    return roi_json(db, roi, actor, moment)


@router.get("/{roi_id}/attachments/{attachment_id}", summary="Download the signed scan",
            response_class=FileResponse, responses={200: {"content": {"application/pdf": {}}}})
async def download(roi_id: Id, attachment_id: Id, actor: MouActor, db: DbSession, moment: Now,
                   settings: SettingsDep):
    roi = act.roi_for(db, roi_id, actor, moment)
    return act.attachment_download(settings, db, actor, roi, attachment_id)


@router.delete("/{roi_id}/attachments/{attachment_id}", summary="Delete the scan (the ROI awaits a new one)")
async def delete(roi_id: Id, attachment_id: Id, request: Request, actor: MouActor, db: DbSession, moment: Now) -> RoiOut:
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.delete_attachment(request, db, actor, roi, attachment_id)
    return roi_json(db, roi, actor, moment)


@router.post("/{roi_id}/revoke", summary="Revoke a signed ROI at the client's request")
async def revoke(roi_id: Id, body: RevokeIn, request: Request, actor: MouActor, db: DbSession, moment: Now) -> RoiOut:
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.revoke(request, actor, roi, body.reason)
    return roi_json(db, roi, actor, moment)


@router.post("/{roi_id}/abandon", summary="Abandon an unsigned ROI")
async def abandon(roi_id: Id, request: Request, actor: MouActor, db: DbSession, moment: Now) -> RoiOut:
    roi = act.roi_for(db, roi_id, actor, moment, manage=True)
    await act.abandon(request, actor, roi)
    return roi_json(db, roi, actor, moment)
