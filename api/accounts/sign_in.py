"""Sign in and sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from api.deps import SESSION_COOKIE, CurrentActor, DbSession, Now, SettingsDep
from api.forms import anon_csrf_ok, issue_anon_csrf
from api.accounts.onboarding import sign_in_step
from models.accounts.credentials import hash_password, needs_rehash, verify_password
from domain.montana import local_date
from domain.passwords import normalize_password
from models import audit
from models.accounts import throttle
from models.accounts.tables import User
from models.db import release_before_wait
from models.accounts.sessions import end_all_sessions, end_session, start_session

router = APIRouter(tags=["auth"], include_in_schema=False)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


DONE = {"password": "Your new password is set. Sign in with it."}


@router.get("/login")
async def login_form(request: Request, next: str | None = None, done: str | None = None):
    return issue_anon_csrf(request, "accounts/login.html", {"next": _safe_next(next), "message": DONE.get(done or "")})


@router.post("/login")
async def login(
    request: Request,
    db: DbSession,
    moment: Now,
    settings: SettingsDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
):
    ctx = {"next": _safe_next(next), "email": email}
    if not anon_csrf_ok(request, csrf_token):
        return issue_anon_csrf(request, "accounts/login.html", {**ctx, "error": "The form expired. Please try again."}, 400)
    keys = throttle.keys_for(email, request.client.host if request.client else "unknown")
    wait = throttle.wait_needed(db, keys, moment)
    if wait.total_seconds() > 0:
        seconds = int(wait.total_seconds()) + 1
        return issue_anon_csrf(
            request, "accounts/login.html",
            {**ctx, "error": f"Too many failed attempts. Try again in {seconds} seconds."}, 429,
        )
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    # Always spend one hash check, so the answer time does not tell which emails have accounts.
    # Argon2 takes tens of milliseconds on purpose: off the event loop, or every page waits on it
    # (50 people signing in at once held every other request for seconds in the benchmark).
    release_before_wait(db)
    matches = await run_in_threadpool(verify_password, user.password_hash if user else "",
                                      normalize_password(password))
    if user is None or not user.is_active or not matches:
        throttle.record_failure(db, keys, moment)
        db.commit()
        return issue_anon_csrf(
            request, "accounts/login.html", {**ctx, "error": "The email or password is not correct."}, 401
        )
    throttle.clear(db, keys)
    if needs_rehash(user.password_hash):
        user.password_hash = await run_in_threadpool(hash_password, normalize_password(password))
    program_id = user.memberships[0].program_id if len(user.memberships) == 1 else None
    token = start_session(db, user, moment, program_id)
    audit.record(db, action="user.login", entity_type="user", entity_id=user.id, user_id=user.id)
    db.commit()
    target = sign_in_step(user, program_id, local_date(moment)) or _safe_next(next)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax",
        secure=settings.public_url.startswith("https://"), path="/",
    )
    response.delete_cookie("connect_csrf", path="/")
    return response


@router.post("/logout")
async def logout(actor: CurrentActor, db: DbSession, moment: Now):
    if actor.session is not None:
        end_session(db, actor.session, moment)
        audit.record(db, action="user.logout", entity_type="user", entity_id=actor.user.id,
                     user_id=actor.user.id)
        db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/logout/everywhere")
async def logout_everywhere(actor: CurrentActor, db: DbSession, moment: Now):
    """Ends every session of the person (a lost phone, a shared computer)."""
    end_all_sessions(db, actor.user.id, moment)
    audit.record(db, action="user.logout_everywhere", entity_type="user", entity_id=actor.user.id,
                 user_id=actor.user.id)
    db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
