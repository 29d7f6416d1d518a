"""Request dependencies: the database session, who is acting, and as which program.

`CurrentActor` is anyone signed in; `UserMouActor` has also signed a current user MOU; `MouActor`
is the gate for every client, ROI and referral route: the user MOU is signed and current and a
program (the "agency profile") is chosen. `PROTECTED_PREFIXES` lists the paths that must use it,
and a test walks every route of the app to hold them to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session, joinedload

from api import idempotency
from api.errors import ApiError, Forbidden
from api.schema_types import Id
from models.accounts.credentials import constant_time_equal
from connect.settings import Settings
from domain.accounts import AdminScope
from domain.montana import local_date
from domain.mou import is_mou_valid
from domain.api_clients import scope_allows
from models.accounts.tables import ApiToken, Membership, User, WebSession
from models.accounts.api_clients import ApiClient, is_access_token, resolve_access_token
from models.agencies.tables import Program
from models.accounts.sessions import SessionLimits, resolve_api_token, resolve_session

SESSION_COOKIE = "connect_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

PROTECTED_PREFIXES = (
    "/clients", "/roi", "/referrals", "/agency/referrals",
    "/api/v1/clients", "/api/v1/roi", "/api/v1/referrals", "/api/v1/agency/referrals",
    *(f"/fhir/{kind}" for kind in ("Patient", "Task", "ServiceRequest", "Consent", "Procedure", "Observation",
                                   "HealthcareService", "Organization", "Location", "Subscription",
                                   "DocumentReference")),
)
"""Paths that reach clients, ROIs or referrals: every route under them depends on `mou_actor`."""

MACHINE_PREFIXES = (
    "/api/v1/clients", "/api/v1/roi", "/api/v1/referrals", "/api/v1/agency/referrals", "/api/v1/reports",
    "/fhir",
)
"""What a machine client reaches: its program's clients, ROIs, referrals and reports. Not a person's
own pages (password, profile, tokens, MOUs, bell) nor administration."""

# What a person who must still replace their initial password may reach.
PASSWORD_CHANGE_PATHS = ("/password", "/logout", "/api/v1/password")


def is_protected_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PROTECTED_PREFIXES)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def now(request: Request) -> datetime:
    return request.app.state.clock()


def get_db(request: Request) -> Iterator[Session]:
    session = request.app.state.session_factory()
    try:
        yield session
    finally:
        # Closing rolls back whatever was not committed. Unlike rollback() it does not expire the
        # loaded objects, so the error page rendered after a refusal can still show the actor.
        session.close()


DbSession = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
Now = Annotated[datetime, Depends(now)]


@dataclass
class Actor:
    """The person making the request, and the program they are acting as."""

    user: User
    program: Program | None
    membership: Membership | None
    session: WebSession | None = None
    token: ApiToken | None = None
    client: ApiClient | None = None
    """Set when a machine client acts (through its service account `user`)."""

    @property
    def is_gatekeeper(self) -> bool:
        return bool(self.membership and self.membership.is_gatekeeper)

    @property
    def is_provider(self) -> bool:
        return bool(self.membership and self.membership.is_provider)

    @property
    def program_id(self) -> int | None:
        return self.program.id if self.program else None


def membership_of(user: User, program_id: int | None) -> Membership | None:
    if program_id is None:
        return None
    return next((m for m in user.memberships if m.program_id == program_id), None)


async def _check_csrf(request: Request, session: WebSession) -> None:
    presented = request.headers.get(CSRF_HEADER, "")
    if not presented:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            presented = str((await request.form()).get("csrf_token", ""))
    if not presented or not constant_time_equal(presented, session.csrf_token):
        raise Forbidden(
            "This form has expired or did not come from CONNECT. Reload the page and try again.",
            code="csrf",
        )


ProgramHeader = Annotated[Id | None, Header(
    alias="X-Connect-Program",
    description="With an API token: the id of the agency/program to act as (one of yours). "
                "Omitted: the token's own program, or your only one.")]


async def current_actor(request: Request, db: DbSession, moment: Now,
                        asked_program: ProgramHeader = None) -> Actor:
    settings: Settings = request.app.state.settings
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer ") and is_access_token(auth[7:].strip()):
        actor = _machine_actor(request, db, auth[7:].strip(), moment)
    elif auth.lower().startswith("bearer "):
        token = resolve_api_token(db, auth[7:].strip(), moment)
        if token is None:
            raise ApiError(401, "The API token is not valid, has expired or was revoked.", code="unauthenticated")
        user = _load_user(db, token.user_id)
        program_id = _token_program(asked_program, user, token)
        actor = Actor(user, db.get(Program, program_id) if program_id else None,
                      membership_of(user, program_id), token=token)
    else:
        cookie = request.cookies.get(SESSION_COOKIE, "")
        limits = SessionLimits(
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        )
        session = resolve_session(db, cookie, moment, limits) if cookie else None
        if session is None:
            db.commit()  # keep the expiry mark of a timed-out session
            raise ApiError(401, "Please sign in.", code="unauthenticated")
        if request.method not in SAFE_METHODS:
            await _check_csrf(request, session)
        user = _load_user(db, session.user_id)
        actor = Actor(user, db.get(Program, session.program_id) if session.program_id else None,
                      membership_of(user, session.program_id), session=session)
    if actor.user.must_change_password and not request.url.path.startswith(PASSWORD_CHANGE_PATHS):
        raise Forbidden(
            "You must change your initial password before you continue.",
            code="password_change_required",
            link="/password/change",
        )
    # Load what every page's layout reads (admin menu, profile bar) while the session is open:
    # an error page is rendered after the request's session has closed.
    _ = actor.user.is_admin, actor.user.admin_regions, actor.program.display_name if actor.program else None
    request.state.actor = actor
    db.commit()
    await idempotency.claim_key(request, actor, moment)  # last: every refusal of the caller comes first
    return actor


def _machine_actor(request: Request, db: Session, presented: str, moment: datetime) -> Actor:
    """A machine client acting as its program's gatekeeper (see domain.api_clients for why).

    The membership is built here and never stored: the client's role comes from its registration,
    so no person's list of staff, assignees or notice recipients ever includes it."""
    token = resolve_access_token(db, presented, moment)
    if token is None:
        raise ApiError(401, "The access token is not valid, has expired, or its client was revoked.",
                       code="invalid_token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    path = request.url.path
    if not any(path == p or path.startswith(p + "/") for p in MACHINE_PREFIXES):
        raise Forbidden("API clients reach clients, ROIs, referrals and reports only.", code="not_for_clients")
    # The FHIR API checks the SMART scopes of its tokens itself (api.fhir.smart.requires).
    if not (path == "/fhir" or path.startswith("/fhir/")) and not scope_allows(token.scope, request.method):
        raise Forbidden("This access token has the read scope only; ask for a token with the write scope.",
                        code="insufficient_scope",
                        headers={"WWW-Authenticate": 'Bearer error="insufficient_scope", scope="write"'})
    client = token.client
    membership = Membership(user_id=client.user_id, program_id=client.program_id,
                            is_gatekeeper=True, is_provider=False)
    return Actor(_load_user(db, client.user_id), client.program, membership, client=client)


def _load_user(db: Session, user_id: int) -> User:
    """The user with what every page's header and profile bar show, loaded while the database
    session is open (an error page is rendered after it closes)."""
    # One joined query: it runs on every request, and five selectin round trips cost four times
    # as much (a person has a few memberships and at most a few regions, so the join stays small).
    return db.get(User, user_id, options=[
        joinedload(User.memberships).joinedload(Membership.program).joinedload(Program.agency),
        joinedload(User.admin_regions),
    ])


def _token_program(asked: int | None, user: User, token: ApiToken) -> int | None:
    """A token is scoped to the user's programs (or to the one it was made for);
    `X-Connect-Program` picks one of them (a value that is not an id was refused as a 422)."""
    if asked is not None:
        if membership_of(user, asked) is None:
            raise Forbidden("You do not have access to that agency/program.", code="not_a_member")
        if token.program_id is not None and asked != token.program_id:
            raise Forbidden("This API token is limited to another agency/program.",
                            code="token_scope")
        return asked
    if token.program_id is not None:
        if membership_of(user, token.program_id) is None:
            raise Forbidden("You no longer have access to the agency/program of this API token.",
                            code="not_a_member")
        return token.program_id
    if len(user.memberships) == 1:
        return user.memberships[0].program_id
    return None


CurrentActor = Annotated[Actor, Depends(current_actor)]


def user_mou_current(user: User, today: date) -> bool:
    return is_mou_valid(user.mou_expires_on, today)


async def user_mou_actor(actor: CurrentActor, moment: Now) -> Actor:
    # The user MOU is a person's undertaking; a machine client's is the administrator's registration
    # of it for the program, whose agency MOU still applies.
    if actor.client is None and not user_mou_current(actor.user, local_date(moment)):
        raise Forbidden(
            "You must sign the CONNECT User MOU before you can reach clients or referrals.",
            code="user_mou_required",
            link="/mou",
        )
    return actor


UserMouActor = Annotated[Actor, Depends(user_mou_actor)]


async def mou_actor(actor: UserMouActor) -> Actor:
    if actor.program is None or actor.membership is None:
        raise Forbidden(
            "Choose the agency/program you are acting as before you continue.",
            code="program_required",
            link="/profile",
        )
    if not actor.program.is_active:
        raise Forbidden(
            f"{actor.program.display_name} no longer uses CONNECT; choose another agency/program.",
            code="program_inactive",
            link="/profile",
        )
    return actor


MouActor = Annotated[Actor, Depends(mou_actor)]


async def admin_actor(actor: CurrentActor) -> Actor:
    if not actor.user.is_admin:
        raise Forbidden("Only designated administrators and the state team can do this.")
    return actor


AdminActor = Annotated[Actor, Depends(admin_actor)]


async def admin_scope(actor: AdminActor) -> AdminScope:
    return AdminScope.of(actor.user.is_state_team, actor.user.region_numbers)


Scope = Annotated[AdminScope, Depends(admin_scope)]
