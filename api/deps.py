"""Request dependencies: the database session, who is acting, and as which program.

`CurrentActor` is anyone signed in; `MouActor` is the gate for every client, ROI and referral
route: the user MOU is signed and current and a program (the "agency profile") is chosen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from api.errors import ApiError, Forbidden
from connect.security import constant_time_equal
from domain.errors import DomainError
from connect.settings import Settings
from models.accounts import ApiToken, Membership, User, WebSession
from models.org import Program
from models.sessions import SessionLimits, resolve_api_token, resolve_session

SESSION_COOKIE = "connect_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
LOCAL_TZ = ZoneInfo("America/Denver")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def now(request: Request) -> datetime:
    return request.app.state.clock()


def today_local(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def get_db(request: Request) -> Iterator[Session]:
    session = request.app.state.session_factory()
    try:
        yield session
    except (ApiError, DomainError):
        # An expected refusal: close() below discards the transaction without expiring what was
        # loaded, so the error page can still show who is signed in.
        raise
    except Exception:
        session.rollback()
        raise
    finally:
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


async def current_actor(request: Request, db: DbSession, moment: Now) -> Actor:
    settings: Settings = request.app.state.settings
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        token = resolve_api_token(db, auth[7:].strip(), moment)
        if token is None:
            raise ApiError(401, "The API token is not valid or was revoked.", code="unauthenticated")
        user = db.get(User, token.user_id)
        program_id = _token_program(request, user, token)
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
        user = db.get(User, session.user_id)
        actor = Actor(user, db.get(Program, session.program_id) if session.program_id else None,
                      membership_of(user, session.program_id), session=session)
    if actor.user.must_change_password and not request.url.path.startswith(("/password", "/logout")):
        raise Forbidden(
            "You must change your initial password before you continue.",
            code="password_change_required",
            link="/password/change",
        )
    if actor.program is not None:
        actor.program.agency  # noqa: B018 - loaded now: the profile bar shows it, even on error pages
    request.state.actor = actor
    db.commit()
    return actor


def _token_program(request: Request, user: User, token: ApiToken) -> int | None:
    """A token is scoped to the user's programs; `X-Connect-Program` picks one of them."""
    asked = request.headers.get("x-connect-program")
    if asked:
        if not asked.isdigit() or membership_of(user, int(asked)) is None:
            raise Forbidden("You do not have access to that agency/program.", code="not_a_member")
        return int(asked)
    if token.program_id is not None:
        return token.program_id
    if len(user.memberships) == 1:
        return user.memberships[0].program_id
    return None


CurrentActor = Annotated[Actor, Depends(current_actor)]


def user_mou_current(user: User, today: date) -> bool:
    return user.mou_expires_on is not None and user.mou_expires_on > today


async def mou_actor(actor: CurrentActor, moment: Now) -> Actor:
    if not user_mou_current(actor.user, today_local(moment)):
        raise Forbidden(
            "You must sign the CONNECT User MOU before you can reach clients or referrals.",
            code="user_mou_required",
            link="/mou",
        )
    if actor.program is None or actor.membership is None:
        raise Forbidden(
            "Choose the agency/program you are acting as before you continue.",
            code="program_required",
            link="/profile",
        )
    return actor


MouActor = Annotated[Actor, Depends(mou_actor)]


async def admin_actor(actor: CurrentActor) -> Actor:
    if not actor.user.is_admin:
        raise Forbidden("Only designated administrators and the state team can do this.")
    return actor


AdminActor = Annotated[Actor, Depends(admin_actor)]
