"""The user MOU (/mou) and the agency MOU of each program (/agency/mou/{program_id}).

Signatures go through the MOU renewal workflow (`connect.workflow_client.update`), which records them
and keeps the year's reminders. Everything that can be refused is refused here first, so a refused
signature starts no workflow and writes nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import object_session

from api.deps import CurrentActor, DbSession, Now, UserMouActor, membership_of
from api.errors import Conflict, Forbidden, NotFound
from api.forms import FormFailure, form_data, form_errors, form_status, render
from api.accounts.onboarding import sign_in_step
from api.schema_types import Id
from api.updates import key_to_keep, request_key, run_update
from documents.mou import MouDocument, mou_document
from connect.workflow_client import mou_run, update
from domain.errors import ValidationFailed
from domain.montana import local_date
from domain.mou import DUE_SOON_DAYS, MouStatus, check_signed_name, may_sign, mou_status_on
from models.accounts.tables import User
from models.db import release_before_wait
from models.mou import agency_mou_history, gatekeeper_programs, user_mou_history
from models.agencies.tables import Program
from workflows.mou import MouRenewalWorkflow
from workflows.mou_contracts import MouKind, SignMou

router = APIRouter(tags=["mou"])


class MouSignIn(BaseModel):
    signed_name: str = Field("", max_length=400)
    agree: bool = False
    version: str = Field("", max_length=20)
    text_sha256: str = Field("", max_length=64)

    @field_validator("agree", mode="before")
    @classmethod
    def _empty_is_no(cls, value):
        # A form's checkbox that was not ticked sends nothing, or an empty value.
        return False if value == "" else value


class MouDocumentOut(BaseModel):
    title: str
    version: str
    sha256: str = Field(description="Send it back with `version` when you sign: what you read is what you sign.")
    text: str


class MouOut(BaseModel):
    document: MouDocumentOut
    status: MouStatus
    expires_on: date | None


class AgencyMouOut(MouOut):
    program_id: int


class MouSignedOut(BaseModel):
    status: MouStatus
    expires_on: date
    signed_at: datetime


class AgencyMouSignedOut(MouSignedOut):
    program_id: int


class GatekeeperMou(BaseModel):
    program_id: int
    display_name: str
    status: MouStatus
    expires_on: date | None


def _document_out(doc: MouDocument) -> dict:
    return {"title": doc.title, "version": doc.version, "sha256": doc.sha256, "text": doc.text}


def _check_signature(ctx: dict, data: MouSignIn, signer: User) -> str:
    """The typed name, once every reason to refuse the signature has been ruled out."""
    doc: MouDocument = ctx["doc"]
    if not ctx["may_sign"]:
        raise Conflict(f"This MOU is valid until {ctx['expires_on']:%B %-d, %Y}; it can be signed "
                       f"again from {DUE_SOON_DAYS} days before then.", code="mou_valid")
    if (data.version, data.text_sha256) != (doc.version, doc.sha256):
        raise ValidationFailed("The MOU text changed while you were reading it. Read the new "
                               "version below and sign again.", code="mou_text_changed")
    name = check_signed_name(data.signed_name, signer.full_name)
    if not data.agree:
        raise ValidationFailed("Tick the box to confirm you have read the MOU and agree to it.",
                               field="agree")
    return name


async def _sign(request: Request, kind: MouKind, subject_id: int, signer: User,
                program_id: int | None, name: str, doc: MouDocument):
    key = await request_key(request)  # the same form sent twice is one signature
    release_before_wait(object_session(signer))
    client = await request.app.state.temporal.get()
    settings = request.app.state.settings
    sign = SignMou(signer_user_id=signer.id, signed_name=name, version=doc.version, text_sha256=doc.sha256,
                   program_id=program_id)
    return await run_update(update(client, settings, mou_run(kind, subject_id), MouRenewalWorkflow.sign, sign,
                                   update_id=key), settings)


# ---------------------------------------------------------------- user MOU


def _context(kind: MouKind, expires_on: date | None, signed_version: str | None, moment) -> dict:
    """What an MOU page shows, given the version of the latest signature."""
    doc = mou_document(kind)
    today = local_date(moment)
    status = mou_status_on(expires_on, today)
    return {"doc": doc, "status": status.value, "expires_on": expires_on, "today": today,
            "may_sign": may_sign(status, signed_version, doc.version)}


def _user_context(db, actor, moment) -> dict:
    history = user_mou_history(db, actor.user.id)
    return {**_context(MouKind.USER, actor.user.mou_expires_on,
                       history[0].version if history else None, moment), "history": history}


async def _sign_user(request: Request, db, actor, moment, data: MouSignIn):
    name = _check_signature(_user_context(db, actor, moment), data, actor.user)
    return await _sign(request, MouKind.USER, actor.user.id, actor.user, actor.program_id, name,
                       mou_document(MouKind.USER))


@router.get("/mou", include_in_schema=False)
async def user_mou_page(request: Request, actor: CurrentActor, db: DbSession, moment: Now):
    return render(request, "mous/user_mou.html", _user_context(db, actor, moment))


@router.post("/mou", include_in_schema=False)
async def user_mou_sign_page(request: Request, actor: CurrentActor, db: DbSession, moment: Now):
    values = await form_data(request)
    try:
        signed = await _sign_user(request, db, actor, moment, MouSignIn.model_validate(values))
    except FormFailure as err:
        return render(request, "mous/user_mou.html", {**_user_context(db, actor, moment), "values": values,
                                            "errors": form_errors(err),
                                            "kept_key": key_to_keep(values, form_status(err))},
                      form_status(err))
    actor.user.mou_expires_on = signed.expires_on
    program_id = actor.session.program_id if actor.session else actor.program_id
    return RedirectResponse(sign_in_step(actor.user, program_id, local_date(moment)) or "/?done=mou",
                            status_code=303)


@router.get("/api/v1/mou")
async def user_mou(actor: CurrentActor, db: DbSession, moment: Now) -> MouOut:
    """The CONNECT User MOU to sign (text, version, SHA-256) and where your signature stands."""
    ctx = _user_context(db, actor, moment)
    return {"document": _document_out(ctx["doc"]), "status": ctx["status"],
            "expires_on": ctx["expires_on"]}


@router.post("/api/v1/mou")
async def user_mou_sign(request: Request, actor: CurrentActor, db: DbSession, moment: Now,
                        data: MouSignIn) -> MouSignedOut:
    """Signs the User MOU: your typed name, `agree: true`, and the version and SHA-256 you read."""
    signed = await _sign_user(request, db, actor, moment, data)
    return {"status": MouStatus.VALID.value, "expires_on": signed.expires_on,
            "signed_at": signed.signed_at}


# ---------------------------------------------------------------- agency MOU


def _gatekeeper_program(db, actor, program_id: int) -> Program:
    program = db.get(Program, program_id)
    if program is None:
        raise NotFound("That program")
    membership = membership_of(actor.user, program.id)
    if membership is None or not membership.is_gatekeeper:
        raise Forbidden(f"Only a gatekeeper of {program.display_name} can sign its agency MOU. "
                        "Ask your agency's gatekeeper, or your designated administrator.",
                        code="not_gatekeeper")
    return program


def _agency_context(db, program: Program, moment) -> dict:
    history = agency_mou_history(db, program.id)
    return {**_context(MouKind.AGENCY, program.mou_expires_on,
                       history[0][0].version if history else None, moment),
            "history": history, "program": program}


async def _sign_agency(request: Request, db, actor, moment, program_id: int, data: MouSignIn):
    program = _gatekeeper_program(db, actor, program_id)
    name = _check_signature(_agency_context(db, program, moment), data, actor.user)
    return await _sign(request, MouKind.AGENCY, program.id, actor.user, program.id, name,
                       mou_document(MouKind.AGENCY))


def _gatekeeper_rows(actor, moment) -> list[tuple[Program, str]]:
    today = local_date(moment)
    return [(p, mou_status_on(p.mou_expires_on, today).value) for p in gatekeeper_programs(actor.user)]


@router.get("/agency/mou", include_in_schema=False)
async def agency_mou_index(request: Request, actor: CurrentActor, moment: Now):
    return render(request, "mous/agency_mou_index.html", {"rows": _gatekeeper_rows(actor, moment)})


@router.get("/api/v1/agency/mou")
async def agency_mous(actor: CurrentActor, moment: Now) -> list[GatekeeperMou]:
    """The programs whose agency MOU you sign as their gatekeeper, and where each stands."""
    return [{"program_id": p.id, "display_name": p.display_name, "status": status,
             "expires_on": p.mou_expires_on} for p, status in _gatekeeper_rows(actor, moment)]


@router.get("/agency/mou/{program_id}", include_in_schema=False)
async def agency_mou_page(request: Request, program_id: Id, actor: CurrentActor, db: DbSession,
                          moment: Now):
    program = _gatekeeper_program(db, actor, program_id)
    return render(request, "mous/agency_mou.html", _agency_context(db, program, moment))


@router.post("/agency/mou/{program_id}", include_in_schema=False)
async def agency_mou_sign_page(request: Request, program_id: Id, actor: UserMouActor,
                               db: DbSession, moment: Now):
    values = await form_data(request)
    try:
        await _sign_agency(request, db, actor, moment, program_id, MouSignIn.model_validate(values))
    except FormFailure as err:
        program = _gatekeeper_program(db, actor, program_id)  # a non-gatekeeper gets the 403 page
        return render(request, "mous/agency_mou.html", {**_agency_context(db, program, moment),
                                                   "values": values, "errors": form_errors(err),
                                                   "kept_key": key_to_keep(values, form_status(err))},
                      form_status(err))
    return RedirectResponse(f"/agency/mou/{program_id}?done=signed", status_code=303)


@router.get("/api/v1/agency/mou/{program_id}")
async def agency_mou(program_id: Id, actor: CurrentActor, db: DbSession, moment: Now) -> AgencyMouOut:
    """The universal agency MOU and where the program's signature stands (gatekeepers only)."""
    ctx = _agency_context(db, _gatekeeper_program(db, actor, program_id), moment)
    return {"program_id": program_id, "document": _document_out(ctx["doc"]),
            "status": ctx["status"], "expires_on": ctx["expires_on"]}


@router.post("/api/v1/agency/mou/{program_id}")
async def agency_mou_sign(request: Request, program_id: Id, actor: UserMouActor, db: DbSession,
                          moment: Now, data: MouSignIn) -> AgencyMouSignedOut:
    """Signs the agency MOU of one program you are a gatekeeper of."""
    signed = await _sign_agency(request, db, actor, moment, program_id, data)
    return {"program_id": program_id, "status": MouStatus.VALID.value,
            "expires_on": signed.expires_on, "signed_at": signed.signed_at}
