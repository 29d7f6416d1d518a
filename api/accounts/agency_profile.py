"""The agency profile: which of their programs a person is acting as (guide Part 1, D).

A person with one program acts as it from sign-in; a person with several chooses one here and can
switch at any time. A browser session keeps the choice; an API token names it per request in the
`X-Connect-Program` header (or is limited to one program when it is made).

Roles that an administrator of another region offered (see `models.accounts.admin.give_role_by_email`) wait
here until the person accepts or declines them.
"""

from __future__ import annotations

from datetime import datetime

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from models.messages.notices import ask_for_agency_mou
from api.deps import Actor, CurrentActor, DbSession, Now, membership_of
from api.errors import ApiError
from api.forms import FormFailure, form_errors, form_status, render
from api.accounts.onboarding import next_step, sign_in_step
from api.schema_types import Code, Id
from domain.accounts import Role
from domain.errors import NotAllowed
from domain.montana import local_date
from domain.mou import mou_status_on
from models import audit
from models.accounts import admin as users

router = APIRouter(tags=["profile"])

NO_ACCESS = ("You do not have access to that agency/program. Change your agency selection to one "
             "of your own to proceed, or ask your designated administrator for access.")


class ProfileIn(BaseModel):
    program_id: Id | Code | None = None


class MembershipOut(BaseModel):
    program_id: int
    name: str
    role: str
    active: bool
    agency_mou: str = Field(description="The agency MOU's status: valid, due_soon, lapsed or missing.")
    current: bool = Field(description="The program you are acting as.")


class ActingProgram(BaseModel):
    id: int
    name: str
    role: str


class ProfileUser(BaseModel):
    id: int
    email: str
    full_name: str


class InvitationOut(BaseModel):
    id: int
    program_id: int
    program: str
    role: str
    role_label: str
    expires_at: datetime


class ProfileOut(BaseModel):
    user: ProfileUser
    program: ActingProgram | None
    memberships: list[MembershipOut]
    invitations: list[InvitationOut] = Field(description="Roles administrators invited you to.")


def _memberships(actor: Actor, moment, text: str = "") -> list[dict]:
    today = local_date(moment)
    words = text.casefold().split()
    rows = []
    for m in sorted(actor.user.memberships, key=lambda m: m.program.display_name.casefold()):
        name = m.program.display_name
        if all(w in name.casefold() for w in words):
            rows.append({"program_id": m.program_id, "name": name,
                         "role": Role.of(m.is_gatekeeper, m.is_provider).label,
                         "active": m.program.is_active,
                         "agency_mou": mou_status_on(m.program.mou_expires_on, today).value,
                         "current": m.program_id == actor.program_id})
    return rows


def _invitations(db, actor: Actor, moment) -> list[dict]:
    return [{"id": i.id, "program_id": i.program_id, "program": i.program.display_name,
             "role": Role.of(i.is_gatekeeper, i.is_provider).value,
             "role_label": Role.of(i.is_gatekeeper, i.is_provider).label, "expires_at": i.expires_at}
            for i in users.pending_invitations(db, actor.user.id, moment)]


def _answer(db, actor: Actor, moment, invitation_id: int, answer: str) -> None:
    membership = users.answer_invitation(db, actor.user, invitation_id, answer == "accept", moment)
    if membership is not None:
        ask_for_agency_mou(db, actor.user.id, membership.program, membership.is_gatekeeper, local_date(moment))
    db.commit()


def _profile_out(db, actor: Actor, moment) -> dict:
    return {
        "user": {"id": actor.user.id, "email": actor.user.email, "full_name": actor.user.full_name},
        "program": ({"id": actor.program.id, "name": actor.program.display_name,
                     "role": Role.of(actor.membership.is_gatekeeper, actor.membership.is_provider).value}
                    if actor.program and actor.membership else None),
        "memberships": _memberships(actor, moment),
        "invitations": _invitations(db, actor, moment),
    }


def _choose(db, actor: Actor, program_id) -> None:
    """Acts as ``program_id`` from now on in this session; refused unless it is one of theirs."""
    if actor.session is None:
        raise ApiError(400, "An API token chooses its agency/program with the X-Connect-Program "
                            "header on each request.", code="use_header")
    pid = int(program_id) if str(program_id or "").strip().isdigit() else None
    membership = membership_of(actor.user, pid)
    if membership is None:
        raise NotAllowed(NO_ACCESS, code="not_a_member")
    if not membership.program.is_active:
        raise NotAllowed(f"{membership.program.display_name} no longer uses CONNECT; choose another "
                         "agency/program.", code="program_inactive")
    if actor.session.program_id != pid:
        actor.session.program_id = pid
        audit.record(db, action="user.profile_chosen", entity_type="user", entity_id=actor.user.id,
                     user_id=actor.user.id, program_id=pid)
    actor.program, actor.membership = membership.program, membership
    db.commit()


def _page(request: Request, db, actor: Actor, moment, q: str = "", errors=None, status: int = 200):
    return render(request, "accounts/agency_profile.html", {"rows": _memberships(actor, moment, q), "q": q,
                                            "total": len(actor.user.memberships),
                                            "invitations": _invitations(db, actor, moment),
                                            "errors": errors or {}}, status)


@router.get("/profile", include_in_schema=False)
async def profile_page(request: Request, actor: CurrentActor, db: DbSession, moment: Now, q: str = ""):
    return _page(request, db, actor, moment, q)


@router.post("/profile", include_in_schema=False)
async def choose_page(request: Request, actor: CurrentActor, db: DbSession, moment: Now,
                      program_id: Annotated[str, Form()] = ""):
    signing_in = actor.program_id is None  # choosing the first profile is a step of signing in
    try:
        _choose(db, actor, program_id)
    except FormFailure as err:
        db.rollback()
        return _page(request, db, actor, moment, errors=form_errors(err), status=form_status(err))
    step = sign_in_step if signing_in else next_step
    target = step(actor.user, actor.program_id, local_date(moment)) or "/"
    return RedirectResponse(target, status_code=303)


@router.post("/profile/invitations/{invitation_id}/{answer}", include_in_schema=False)
async def answer_page(request: Request, invitation_id: Id, answer: Literal["accept", "decline"],
                      actor: CurrentActor, db: DbSession, moment: Now):
    try:
        _answer(db, actor, moment, invitation_id, answer)
    except FormFailure as err:
        db.rollback()
        return _page(request, db, actor, moment, errors=form_errors(err), status=form_status(err))
    return RedirectResponse("/profile", status_code=303)


@router.get("/api/v1/profile")
async def profile(actor: CurrentActor, db: DbSession, moment: Now) -> ProfileOut:
    """Who you are, the agency/program you act as, the programs you may choose, and the roles
    administrators invited you to (accept or decline them)."""
    return _profile_out(db, actor, moment)


@router.post("/api/v1/profile/invitations/{invitation_id}/{answer}")
async def answer_invitation(invitation_id: Id,
                            answer: Annotated[Literal["accept", "decline"], Path(description="accept or decline")],
                            actor: CurrentActor, db: DbSession, moment: Now) -> ProfileOut:
    """Accepts (the role becomes yours) or declines a role an administrator invited you to."""
    _answer(db, actor, moment, invitation_id, answer)
    return _profile_out(db, actor, moment)


@router.post("/api/v1/profile")
async def choose(actor: CurrentActor, db: DbSession, moment: Now, data: ProfileIn) -> ProfileOut:
    """Chooses the agency/program your browser session acts as (API tokens use the
    `X-Connect-Program` header instead)."""
    _choose(db, actor, data.program_id)
    return _profile_out(db, actor, moment)
