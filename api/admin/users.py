"""Administration of people: create accounts (with a set-password link or an initial password by
email), roles in programs, administrator regions, deactivation and reactivation.

Scope rules live in `domain.accounts.AdminScope`; the commands in `models.accounts.admin` apply them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import Session

from models.messages.notices import ask_for_agency_mou, notify_users
from api.accounts import messages
from api.admin.schemas import AdminUserOut, DeactivatedUserOut, DetailOut, Paged
from api.deps import Actor, DbSession, Now, Scope
from api.errors import NotFound
from api.forms import FormFailure, form_data, form_errors, form_status, render
from api.schema_types import Id, PageNumber, PerPage
from domain.accounts import INVITE_TOKEN_TTL, AdminScope, Role
from domain.errors import ValidationFailed
from domain.montana import REGIONS, local_date
from domain.mou import mou_status_on
from domain.passwords import RESET_TOKEN_TTL
from models.agencies import admin as orgs
from models.accounts import admin as users
from models.accounts.tables import User
from models.agencies.tables import Program
from models.paging import PER_PAGE, paginate
from models.accounts.passwords import INVITE, RESET, issue_link, set_initial_password

router = APIRouter(tags=["administration"])

ROLE_OFFERED = ("If a CONNECT account of someone outside your regions uses that email, its owner is "
                "invited to accept the role and appears in your list of people once they do. To add "
                "someone who has no account yet, create one.")

ACCOUNT_OFFERED = ("Done. If no CONNECT account used that email, the account is created, its email is on its "
                   "way and the person is in your list of people. If someone outside your regions already "
                   "has an account with that email, they are invited to accept the roles and appear in your "
                   "list once they do.")

Delivery = Literal["link", "password"]


class RoleBody(BaseModel):
    program_id: Id | None = None
    role: Role = Role.PROVIDER

    @field_validator("program_id", mode="before")
    @classmethod
    def _blank(cls, value):
        return None if value == "" else value

    def role_in(self) -> users.RoleIn:
        return users.RoleIn(self.program_id, self.role)


class UserIn(BaseModel):
    email: str = Field("", max_length=254)
    full_name: str = Field("", max_length=200)
    roles: list[RoleBody] = Field(default_factory=list, max_length=50)
    admin_regions: list[int] = Field(default_factory=list, max_length=5)
    state_team: bool = False
    delivery: Delivery = "link"


class RoleOnlyIn(BaseModel):
    role: Role


class UserUpdateIn(BaseModel):
    email: str = Field("", max_length=254)
    full_name: str = Field("", max_length=200)


class RoleByEmailIn(RoleBody):
    email: str = Field("", max_length=254)


class AdminRolesIn(BaseModel):
    state_team: bool = False
    admin_regions: list[int] = Field(default_factory=list, max_length=5)


def user_out(u: User, moment) -> dict:
    today = local_date(moment)
    return {
        "id": u.id, "email": u.email, "full_name": u.full_name, "is_active": u.is_active,
        "must_change_password": u.must_change_password, "password_set": bool(u.password_hash),
        "is_state_team": u.is_state_team, "admin_regions": sorted(u.region_numbers),
        "roles": [{"program_id": m.program_id, "program": m.program.display_name,
                   "region": m.program.region, "role": Role.of(m.is_gatekeeper, m.is_provider).value}
                  for m in sorted(u.memberships, key=lambda m: m.program.display_name)],
        "user_mou_status": mou_status_on(u.mou_expires_on, today).value,
        "mou_expires_on": u.mou_expires_on, "deactivated_at": u.deactivated_at,
    }


def _user(db: Session, scope: AdminScope, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("That person")
    scope.require_may_see(users.account_of(user))
    return user


def _actor(request: Request) -> Actor:
    return request.state.actor


# ---------------------------------------------------------------- the commands pages and API share


def _send_access(request: Request, db: Session, user: User, delivery: Delivery, moment) -> int | None:
    """Queues the email that lets the person in: a set-password link, or an initial password."""
    admin = _actor(request).user.full_name
    if delivery == "password":
        password = set_initial_password(db, user)
        return messages.queue(request, db, to=user.email, template="account_initial_password",
                              key=f"initial-password:{user.id}:{moment.isoformat()}", secret=True,
                              context={"user": user, "admin_name": admin, "password": password,
                                       "login_link": f"{request.app.state.settings.public_url}/login"})
    purpose = INVITE if not user.password_hash else RESET
    link, token = issue_link(db, user, purpose, moment)
    ttl = INVITE_TOKEN_TTL if purpose == INVITE else RESET_TOKEN_TTL
    return messages.queue(request, db, to=user.email, key=f"password-link:{link.id}", secret=True,
                          template="account_invite" if purpose == INVITE else "password_reset",
                          context={"user": user, "admin_name": admin,
                                   "expires_in": messages.describe(ttl),
                                   "link": f"{request.app.state.settings.public_url}/password/reset/{token}"})


def _ask_for_agency_mou(db: Session, user: User, program: Program, role: Role, moment) -> None:
    ask_for_agency_mou(db, user.id, program, role.is_gatekeeper, local_date(moment))


async def _create(request: Request, db: Session, scope: AdminScope, moment, tasks: BackgroundTasks,
                  data: UserIn) -> User | None:
    """Creates the account (returned) and emails its way in; if the email belongs to someone the
    administrator may not see, invites them to the roles instead (None), emailing after the answer."""
    user, invitations = users.create_or_invite(
        db, scope, _actor(request).user.id, email=data.email, full_name=data.full_name,
        roles=[r.role_in() for r in data.roles], admin_regions=data.admin_regions,
        state_team=data.state_team, now=moment)
    if user is None:
        outbox_ids = [i for invitation in invitations for i in _offer(request, db, invitation, moment)]
        db.commit()
        messages.deliver_after_response(tasks, request, outbox_ids)
        return None
    for m in user.memberships:
        _ask_for_agency_mou(db, user, m.program, Role.of(m.is_gatekeeper, m.is_provider), moment)
    outbox_id = _send_access(request, db, user, data.delivery, moment)
    db.commit()
    messages.deliver_after_response(tasks, request, [outbox_id])
    return user


async def _send_link(request: Request, db: Session, scope: AdminScope, moment, user: User) -> None:
    scope.require_may_manage_account(users.account_of(user), "send this person a password link")
    if not user.is_active:
        raise ValidationFailed("This account is deactivated; reactivate it first.", code="inactive")
    outbox_id = _send_access(request, db, user, "link", moment)
    db.commit()
    await messages.deliver(request, [outbox_id])


async def _update(request: Request, db: Session, scope: AdminScope, moment, user: User,
                  body: UserUpdateIn) -> None:
    """Saves name and email; a changed email is announced to the old address, so a person whose
    email was changed behind their back hears of it where they still read their mail."""
    admin = _actor(request).user
    old_email = users.update_user(db, scope, admin.id, user, email=body.email,
                                  full_name=body.full_name, now=moment)
    outbox_id = None
    if old_email is not None:
        outbox_id = messages.queue(request, db, to=old_email, template="email_changed",
                                   key=f"email-changed:{user.id}:{moment.isoformat()}", user_id=user.id,
                                   context={"user": user, "old_email": old_email,
                                            "admin_name": admin.full_name})
    db.commit()
    await messages.deliver(request, [outbox_id])


def _role_by_email(request: Request, db: Session, scope: AdminScope, moment, tasks: BackgroundTasks,
                   body: RoleByEmailIn) -> User | None:
    """Gives the role to the person the administrator sees already (returned); anyone else who
    has an account is invited instead, and the answer (None) is the same whether or not one does.
    The invitation's email goes out after the answer, so its timing tells nothing either."""
    admin = _actor(request).user
    user, invitation = users.give_role_by_email(db, scope, admin.id, body.email, body.role_in(), moment)
    if user is not None:
        _ask_for_agency_mou(db, user, db.get(Program, body.program_id), body.role, moment)
        db.commit()
        return user
    outbox_ids = _offer(request, db, invitation, moment) if invitation is not None else []
    db.commit()
    messages.deliver_after_response(tasks, request, outbox_ids)
    return None


def _offer(request: Request, db: Session, invitation, moment) -> list[int]:
    """Tells the invited person (bell and email) about the role offered to them."""
    admin = _actor(request).user
    settings = request.app.state.settings
    program = invitation.program.display_name
    role = Role.of(invitation.is_gatekeeper, invitation.is_provider).label.lower()
    return notify_users(
        db, [invitation.user_id], kind="role_invitation", link="/profile",
        key=f"role-invitation-{invitation.id}-{moment.isoformat()}", actor_id=admin.id,
        text=f"{admin.full_name} invited you to work in {program} as {role}. "
             "Accept or decline it on your agency profile page.",
        email_template="role_invitation", public_url=settings.public_url,
        from_address=settings.email_from,
        context={"admin_name": admin.full_name, "program": program,
                 "role": role, "expires_in": messages.describe(INVITE_TOKEN_TTL)})


def _set_role(request: Request, db: Session, scope: AdminScope, moment, user: User,
              role: users.RoleIn) -> None:
    membership = users.set_role(db, scope, _actor(request).user.id, user, role)
    _ask_for_agency_mou(db, user, membership.program, role.role, moment)


def _deactivate(request: Request, db: Session, scope: AdminScope, moment, user: User) -> dict[int, int]:
    """Deactivates, and tells the gatekeepers of programs where the person still had open
    referrals that those need a new provider (bell only: the gatekeepers act in CONNECT)."""
    left = users.deactivate(db, scope, _actor(request).user.id, user, moment)
    for program_id, count in left.items():
        program = db.get(Program, program_id)
        notify_users(
            db, [u.id for u in orgs.gatekeepers_of(db, [program_id])[program_id]],
            kind="reassignment_needed", link="/agency/referrals",
            key=f"deactivated-{user.id}-{moment.isoformat()}-p{program_id}",
            actor_id=_actor(request).user.id,
            text=f"{user.full_name} no longer uses CONNECT. {count} open referral"
                 f"{'s' if count != 1 else ''} of {program.display_name} assigned to them "
                 f"need{'s' if count == 1 else ''} a new provider.")
    db.commit()
    return left


# ---------------------------------------------------------------- pages


def _program_options(db: Session, scope: AdminScope) -> list[tuple[int, str]]:
    return [(p.id, p.display_name) for p in db.scalars(orgs.programs_query(scope))]


ROLE_OPTIONS = [(r.value, r.label) for r in Role]
REGION_OPTIONS = [(r, f"{r} — {name}") for r, name in REGIONS.items()]


def _new_user_page(request, db, scope, values=None, errors=None, status=200):
    return render(request, "admin/user_new.html", {
        "values": values or {"role": Role.PROVIDER.value, "delivery": "link", "admin_regions": []},
        "errors": errors or {}, "programs": _program_options(db, scope), "roles": ROLE_OPTIONS,
        "regions": REGION_OPTIONS, "scope": scope}, status)


def _user_page(request, db, scope, user, moment, errors=None, status=200, values=None):
    return render(request, "admin/user.html", {
        "user": user, "data": user_out(user, moment), "scope": scope, "errors": errors or {},
        "values": values or {"email": user.email, "full_name": user.full_name},
        "programs": _program_options(db, scope), "roles": ROLE_OPTIONS, "regions": REGION_OPTIONS,
        "open_assignments": sum(users.open_assignments(db, user.id).values()),
        "may_edit": scope.state_team or not user.is_admin}, status)


def _user_form(data: dict) -> UserIn:
    role = {"program_id": data["program_id"], "role": data.get("role") or Role.PROVIDER.value} \
        if data.get("program_id") else None
    return UserIn.model_validate({
        "email": data.get("email", ""), "full_name": data.get("full_name", ""),
        "roles": [role] if role else [], "admin_regions": data.get("admin_regions", []),
        "state_team": "state_team" in data, "delivery": data.get("delivery") or "link"})


@router.get("/admin/users", include_in_schema=False)
async def users_page(request: Request, scope: Scope, db: DbSession, q: str = "",
                     program_id: Id | None = None, status: str = "", page: int = 1):
    active = {"active": True, "inactive": False}.get(status)
    listing = paginate(db, users.users_query(scope, q, program_id=program_id, active=active), page)
    return render(request, "admin/users.html", {
        "page": listing, "q": q, "status": status, "program_id": program_id,
        "programs": _program_options(db, scope), "role_of": Role.of, "role_offered": ROLE_OFFERED,
        "account_offered": ACCOUNT_OFFERED})


@router.get("/admin/users/new", include_in_schema=False)
async def new_user_page(request: Request, scope: Scope, db: DbSession):
    return _new_user_page(request, db, scope)


@router.post("/admin/users/new", include_in_schema=False)
async def create_user_page(request: Request, scope: Scope, db: DbSession, moment: Now, tasks: BackgroundTasks):
    data = await form_data(request, ("admin_regions",))
    try:
        await _create(request, db, scope, moment, tasks, _user_form(data))
    except FormFailure as err:
        db.rollback()
        errors = form_errors(err)
        if "roles" in errors:
            errors["program_id"] = errors.pop("roles")
        return _new_user_page(request, db, scope, data, errors, form_status(err))
    return RedirectResponse("/admin/users?done=account_offered", status_code=303)


@router.post("/admin/users/roles-by-email", include_in_schema=False)
async def role_by_email_page(request: Request, scope: Scope, db: DbSession, moment: Now,
                             tasks: BackgroundTasks):
    """Gives an account, found by its exact email, a role in one of your programs (or invites
    its owner, if they work outside your regions)."""
    data = await form_data(request)
    try:
        user = _role_by_email(request, db, scope, moment, tasks, RoleByEmailIn.model_validate(data))
    except FormFailure as err:
        db.rollback()
        return _new_user_page(request, db, scope, data, form_errors(err), form_status(err))
    if user is None:
        return RedirectResponse("/admin/users?done=role_offered", status_code=303)
    return RedirectResponse(f"/admin/users/{user.id}?done=role", status_code=303)


@router.get("/admin/users/{user_id}", include_in_schema=False)
async def user_page(request: Request, user_id: Id, scope: Scope, db: DbSession, moment: Now):
    return _user_page(request, db, scope, _user(db, scope, user_id), moment)


async def _user_action(request: Request, user_id: int, scope: AdminScope, db: Session, moment,
                       action, done: str):
    """Runs one change on the person page; a refusal shows the page again with the reason."""
    user = _user(db, scope, user_id)
    data = await form_data(request, ("admin_regions",))
    try:
        await action(user, data)
        db.commit()
    except FormFailure as err:
        db.rollback()
        return _user_page(request, db, scope, _user(db, scope, user_id), moment, form_errors(err),
                          form_status(err), values=data if "full_name" in data else None)
    return RedirectResponse(f"/admin/users/{user_id}?done={done}", status_code=303)


@router.post("/admin/users/{user_id}", include_in_schema=False)
async def update_user_page(request: Request, user_id: Id, scope: Scope, db: DbSession, moment: Now):
    async def action(user, data):
        await _update(request, db, scope, moment, user, UserUpdateIn.model_validate(data))
    return await _user_action(request, user_id, scope, db, moment, action, "saved")


@router.post("/admin/users/{user_id}/roles", include_in_schema=False)
async def set_role_page(request: Request, user_id: Id, scope: Scope, db: DbSession, moment: Now):
    async def action(user, data):
        _set_role(request, db, scope, moment, user, RoleBody.model_validate(data).role_in())
    return await _user_action(request, user_id, scope, db, moment, action, "role")


@router.post("/admin/users/{user_id}/roles/{program_id}/remove", include_in_schema=False)
async def remove_role_page(request: Request, user_id: Id, program_id: Id, scope: Scope,
                           db: DbSession, moment: Now):
    async def action(user, data):
        users.remove_role(db, scope, _actor(request).user.id, user, program_id, moment)
    return await _user_action(request, user_id, scope, db, moment, action, "role_removed")


@router.post("/admin/users/{user_id}/admin-roles", include_in_schema=False)
async def admin_roles_page(request: Request, user_id: Id, scope: Scope, db: DbSession, moment: Now):
    async def action(user, data):
        body = AdminRolesIn.model_validate({"state_team": "state_team" in data,
                                            "admin_regions": data.get("admin_regions", [])})
        users.set_admin_roles(db, scope, _actor(request).user.id, user, state_team=body.state_team,
                              regions=body.admin_regions)
    return await _user_action(request, user_id, scope, db, moment, action, "admin_roles")


@router.post("/admin/users/{user_id}/invite", include_in_schema=False)
async def send_link_page(request: Request, user_id: Id, scope: Scope, db: DbSession, moment: Now):
    async def action(user, data):
        await _send_link(request, db, scope, moment, user)
    return await _user_action(request, user_id, scope, db, moment, action, "link_sent")


@router.get("/admin/users/{user_id}/deactivate", include_in_schema=False)
async def deactivate_confirm_page(request: Request, user_id: Id, scope: Scope, db: DbSession,
                                  moment: Now):
    user = _user(db, scope, user_id)
    return render(request, "admin/user_deactivate.html", {
        "user": user, "open_assignments": sum(users.open_assignments(db, user.id).values())})


@router.post("/admin/users/{user_id}/deactivate", include_in_schema=False)
async def deactivate_page(request: Request, user_id: Id, scope: Scope, db: DbSession, moment: Now):
    async def action(user, data):
        _deactivate(request, db, scope, moment, user)
    return await _user_action(request, user_id, scope, db, moment, action, "deactivated")


@router.post("/admin/users/{user_id}/reactivate", include_in_schema=False)
async def reactivate_page(request: Request, user_id: Id, scope: Scope, db: DbSession, moment: Now):
    async def action(user, data):
        users.reactivate(db, scope, _actor(request).user.id, user)
        await _send_link(request, db, scope, moment, user)
    return await _user_action(request, user_id, scope, db, moment, action, "reactivated")


# ---------------------------------------------------------------- JSON API


@router.get("/api/v1/admin/users")
async def list_users(scope: Scope, db: DbSession, moment: Now,
                     q: Annotated[str, Query(description="Part of the person's name or email")] = "",
                     program_id: Annotated[Id | None, Query(description="Only people with a role in this program")] = None,
                     active: Annotated[bool | None, Query(description="true: active accounts only; false: deactivated only")] = None, page: PageNumber = 1,
                     per_page: PerPage = PER_PAGE) -> Paged[AdminUserOut]:
    """People with a role in a program of your regions (everyone, for the state team)."""
    listing = paginate(db, users.users_query(scope, q, program_id=program_id, active=active),
                       page, per_page)
    return {"items": [user_out(u, moment) for u in listing.items], "page": listing.number,
            "pages": listing.pages, "total": listing.total}


@router.post("/api/v1/admin/users", status_code=202, responses={202: {
    "model": DetailOut, "description": "The same answer whether or not an account uses the email."}})
async def create_user(request: Request, scope: Scope, db: DbSession, moment: Now, tasks: BackgroundTasks,
                      data: UserIn) -> DetailOut:
    """Creates an account; the person gets an email with a single-use set-password link
    (`delivery: "link"`) or an initial password (`"password"`), and must choose their own
    password when they first sign in. If someone outside your regions already has an account with
    that email, they are invited to accept the roles instead; the answer (202) is the same, so find
    the new account in `GET /api/v1/admin/users?q=<email>`."""
    await _create(request, db, scope, moment, tasks, data)
    return {"detail": ACCOUNT_OFFERED}


class RoleOffered(BaseModel):
    detail: str


@router.post("/api/v1/admin/users/roles", responses={202: {
    "model": RoleOffered, "description": "The role is offered; it is the same answer whether or not "
                                         "an account uses the email."}})
async def role_by_email(request: Request, scope: Scope, db: DbSession, moment: Now,
                        tasks: BackgroundTasks, data: RoleByEmailIn) -> AdminUserOut:
    """Gives a person you see (found by their exact email) a role in one of your programs and
    answers with the person. Anyone else is invited to accept the role, and the answer (202) is
    the same whether or not an account uses the email."""
    user = _role_by_email(request, db, scope, moment, tasks, data)
    if user is None:
        return JSONResponse({"detail": ROLE_OFFERED}, status_code=202)
    return user_out(user, moment)


@router.get("/api/v1/admin/users/{user_id}")
async def get_user(user_id: Id, scope: Scope, db: DbSession, moment: Now) -> AdminUserOut:
    return user_out(_user(db, scope, user_id), moment)


@router.patch("/api/v1/admin/users/{user_id}")
async def update_user(request: Request, user_id: Id, scope: Scope, db: DbSession, moment: Now,
                      data: UserUpdateIn) -> AdminUserOut:
    """Changes name and email. Changing the email needs rights over every region the person
    works in; the old address is told."""
    user = _user(db, scope, user_id)
    await _update(request, db, scope, moment, user, data)
    return user_out(user, moment)


@router.put("/api/v1/admin/users/{user_id}/roles/{program_id}")
async def set_role(request: Request, user_id: Id, program_id: Id, scope: Scope, db: DbSession,
                   moment: Now, data: RoleOnlyIn) -> AdminUserOut:
    """Gives the person `role` (gatekeeper, provider or both) in the program."""
    user = _user(db, scope, user_id)
    _set_role(request, db, scope, moment, user, users.RoleIn(program_id, data.role))
    db.commit()
    return user_out(user, moment)


@router.delete("/api/v1/admin/users/{user_id}/roles/{program_id}")
async def remove_role(request: Request, user_id: Id, program_id: Id, scope: Scope,
                      db: DbSession, moment: Now) -> AdminUserOut:
    user = _user(db, scope, user_id)
    users.remove_role(db, scope, _actor(request).user.id, user, program_id, moment)
    db.commit()
    return user_out(user, moment)


@router.put("/api/v1/admin/users/{user_id}/admin-roles")
async def set_admin_roles(request: Request, user_id: Id, scope: Scope, db: DbSession, moment: Now,
                          data: AdminRolesIn) -> AdminUserOut:
    """State team only: makes the person state team and/or designated administrator of regions."""
    user = _user(db, scope, user_id)
    users.set_admin_roles(db, scope, _actor(request).user.id, user, state_team=data.state_team,
                          regions=data.admin_regions)
    db.commit()
    return user_out(user, moment)


@router.post("/api/v1/admin/users/{user_id}/deactivate")
async def deactivate(request: Request, user_id: Id, scope: Scope, db: DbSession, moment: Now) -> DeactivatedUserOut:
    """Ends the person's access at once (sessions, API tokens, password links). Nothing is
    deleted; their open referrals stay with the programs for reassignment."""
    user = _user(db, scope, user_id)
    left = _deactivate(request, db, scope, moment, user)
    return {**user_out(user, moment), "open_assignments": sum(left.values())}


@router.post("/api/v1/admin/users/{user_id}/reactivate")
async def reactivate(request: Request, user_id: Id, scope: Scope, db: DbSession, moment: Now) -> AdminUserOut:
    """Gives the account back; the person gets a new set-password link."""
    user = _user(db, scope, user_id)
    users.reactivate(db, scope, _actor(request).user.id, user)
    await _send_link(request, db, scope, moment, user)
    return user_out(user, moment)


@router.post("/api/v1/admin/users/{user_id}/invite")
async def send_link(request: Request, user_id: Id, scope: Scope, db: DbSession, moment: Now) -> DetailOut:
    """Emails the person a new single-use link to set their password."""
    await _send_link(request, db, scope, moment, _user(db, scope, user_id))
    return {"detail": "A new link to set the password was sent."}
