"""The user MOU (/mou) and the agency MOU of each program (/agency/mou/{program_id}).

Signatures go through the MOU renewal workflow (`connect.starters.sign_mou`), which records them
and keeps the year's reminders. Everything that can be refused is refused here first, so a refused
signature starts no workflow and writes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from api.deps import CurrentActor, DbSession, Now, UserMouActor, membership_of, today_local
from api.errors import Conflict, Forbidden, NotFound
from api.forms import FormFailure, form_errors, form_status, render
from api.onboarding import next_step
from api.updates import run_update
from connect.mou_documents import MouDocument, mou_document
from connect.starters import sign_mou
from domain.errors import ValidationFailed
from domain.mou import MouStatus, check_signed_name, mou_status_on
from models.accounts import User
from models.mou import agency_mou_history, gatekeeper_programs, user_mou_history
from models.org import Program
from workflows.mou_contracts import MouKind, SignMou

router = APIRouter(tags=["mou"])


class MouSignIn(BaseModel):
    signed_name: str = Field("", max_length=400)
    agree: bool = False
    version: str = Field("", max_length=20)
    text_sha256: str = Field("", max_length=64)


def _document_out(doc: MouDocument) -> dict:
    return {"title": doc.title, "version": doc.version, "sha256": doc.sha256, "text": doc.text}


def _check_signature(doc: MouDocument, status: MouStatus, expires_on: date | None,
                     data: MouSignIn) -> str:
    """The typed name, once every reason to refuse the signature has been ruled out."""
    if status is MouStatus.VALID:
        raise Conflict(f"This MOU is valid until {expires_on:%B %-d, %Y}; it can be signed again "
                       "from 30 days before then.", code="mou_valid")
    if (data.version, data.text_sha256) != (doc.version, doc.sha256):
        raise ValidationFailed("The MOU text changed while you were reading it. Read the new "
                               "version below and sign again.", code="mou_text_changed")
    name = check_signed_name(data.signed_name)
    if not data.agree:
        raise ValidationFailed("Tick the box to confirm you have read the MOU and agree to it.",
                               field="agree")
    return name


async def _sign(request: Request, kind: MouKind, subject_id: int, signer: User,
                program_id: int | None, name: str, doc: MouDocument):
    client = await request.app.state.temporal.get()
    return await run_update(sign_mou(
        client, request.app.state.settings, kind, subject_id,
        SignMou(signer_user_id=signer.id, signed_name=name, version=doc.version,
                text_sha256=doc.sha256, program_id=program_id)))


# ---------------------------------------------------------------- user MOU


def _user_context(db, actor, moment) -> dict:
    doc = mou_document(MouKind.USER)
    today = today_local(moment)
    return {"doc": doc, "status": mou_status_on(actor.user.mou_expires_on, today).value,
            "expires_on": actor.user.mou_expires_on, "history": user_mou_history(db, actor.user.id),
            "today": today}


async def _sign_user(request: Request, actor, moment, data: MouSignIn):
    doc = mou_document(MouKind.USER)
    status = mou_status_on(actor.user.mou_expires_on, today_local(moment))
    name = _check_signature(doc, status, actor.user.mou_expires_on, data)
    return await _sign(request, MouKind.USER, actor.user.id, actor.user, actor.program_id, name, doc)


@router.get("/mou", include_in_schema=False)
async def user_mou_page(request: Request, actor: CurrentActor, db: DbSession, moment: Now):
    return render(request, "mou.html", _user_context(db, actor, moment))


@router.post("/mou", include_in_schema=False)
async def user_mou_sign_page(request: Request, actor: CurrentActor, db: DbSession, moment: Now,
                             signed_name: Annotated[str, Form()] = "",
                             agree: Annotated[bool, Form()] = False,
                             version: Annotated[str, Form()] = "",
                             text_sha256: Annotated[str, Form()] = ""):
    data = MouSignIn(signed_name=signed_name, agree=agree, version=version, text_sha256=text_sha256)
    try:
        signed = await _sign_user(request, actor, moment, data)
    except FormFailure as err:
        return render(request, "mou.html", {**_user_context(db, actor, moment), "values": data,
                                            "errors": form_errors(err)}, form_status(err))
    actor.user.mou_expires_on = signed.expires_on
    program_id = actor.session.program_id if actor.session else actor.program_id
    return RedirectResponse(next_step(actor.user, program_id, today_local(moment)) or "/?done=mou",
                            status_code=303)


@router.get("/api/v1/mou")
async def user_mou(actor: CurrentActor, db: DbSession, moment: Now) -> dict:
    """The CONNECT User MOU to sign (text, version, SHA-256) and where your signature stands."""
    ctx = _user_context(db, actor, moment)
    return {"document": _document_out(ctx["doc"]), "status": ctx["status"],
            "expires_on": ctx["expires_on"]}


@router.post("/api/v1/mou")
async def user_mou_sign(request: Request, actor: CurrentActor, moment: Now, data: MouSignIn) -> dict:
    """Signs the User MOU: your typed name, `agree: true`, and the version and SHA-256 you read."""
    signed = await _sign_user(request, actor, moment, data)
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
    today = today_local(moment)
    return {"doc": mou_document(MouKind.AGENCY), "program": program,
            "status": mou_status_on(program.mou_expires_on, today).value,
            "expires_on": program.mou_expires_on, "history": agency_mou_history(db, program.id),
            "today": today}


async def _sign_agency(request: Request, db, actor, moment, program_id: int, data: MouSignIn):
    program = _gatekeeper_program(db, actor, program_id)
    doc = mou_document(MouKind.AGENCY)
    status = mou_status_on(program.mou_expires_on, today_local(moment))
    name = _check_signature(doc, status, program.mou_expires_on, data)
    return await _sign(request, MouKind.AGENCY, program.id, actor.user, program.id, name, doc)


@router.get("/agency/mou", include_in_schema=False)
async def agency_mou_index(request: Request, actor: CurrentActor, moment: Now):
    today = today_local(moment)
    rows = [(p, mou_status_on(p.mou_expires_on, today).value) for p in gatekeeper_programs(actor.user)]
    return render(request, "agency_mou_index.html", {"rows": rows})


@router.get("/agency/mou/{program_id}", include_in_schema=False)
async def agency_mou_page(request: Request, program_id: int, actor: CurrentActor, db: DbSession,
                          moment: Now):
    program = _gatekeeper_program(db, actor, program_id)
    return render(request, "agency_mou.html", _agency_context(db, program, moment))


@router.post("/agency/mou/{program_id}", include_in_schema=False)
async def agency_mou_sign_page(request: Request, program_id: int, actor: UserMouActor,
                               db: DbSession, moment: Now,
                               signed_name: Annotated[str, Form()] = "",
                               agree: Annotated[bool, Form()] = False,
                               version: Annotated[str, Form()] = "",
                               text_sha256: Annotated[str, Form()] = ""):
    data = MouSignIn(signed_name=signed_name, agree=agree, version=version, text_sha256=text_sha256)
    try:
        await _sign_agency(request, db, actor, moment, program_id, data)
    except FormFailure as err:
        program = _gatekeeper_program(db, actor, program_id)  # a non-gatekeeper gets the 403 page
        return render(request, "agency_mou.html", {**_agency_context(db, program, moment),
                                                   "values": data, "errors": form_errors(err)},
                      form_status(err))
    return RedirectResponse(f"/agency/mou/{program_id}?done=signed", status_code=303)


@router.get("/api/v1/agency/mou/{program_id}")
async def agency_mou(program_id: int, actor: CurrentActor, db: DbSession, moment: Now) -> dict:
    """The universal agency MOU and where the program's signature stands (gatekeepers only)."""
    ctx = _agency_context(db, _gatekeeper_program(db, actor, program_id), moment)
    return {"program_id": program_id, "document": _document_out(ctx["doc"]),
            "status": ctx["status"], "expires_on": ctx["expires_on"]}


@router.post("/api/v1/agency/mou/{program_id}")
async def agency_mou_sign(request: Request, program_id: int, actor: UserMouActor, db: DbSession,
                          moment: Now, data: MouSignIn) -> dict:
    """Signs the agency MOU of one program you are a gatekeeper of."""
    signed = await _sign_agency(request, db, actor, moment, program_id, data)
    return {"program_id": program_id, "status": MouStatus.VALID.value,
            "expires_on": signed.expires_on, "signed_at": signed.signed_at}
