"""Passwords: change (forced at first sign-in), "Forgot Password", and the single-use link page.

Pages and their JSON twins share one function per action, so both refuse the same things.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from api.accounts import messages
from api.admin.schemas import DetailOut
from api.deps import SESSION_COOKIE, CurrentActor, DbSession, Now, SettingsDep
from api.errors import ApiError
from api.forms import anon_csrf_ok, form_errors, form_status, issue_anon_csrf, render
from api.accounts.onboarding import next_step, sign_in_step
from domain.errors import ValidationFailed
from domain.montana import local_date
from domain.passwords import RESET_ADDRESS_FREE_REQUESTS, RESET_TOKEN_TTL
from models import audit
from models.accounts import throttle
from models.accounts.passwords import INVALID_LINK, RESET, change_password, issue_link, link_holder, set_password_by_link
from models.accounts.sessions import start_session
from models.accounts.admin import find_by_email

router = APIRouter(tags=["passwords"])

SAME_ANSWER = ("If a CONNECT account uses that email, we have sent it a link to reset the password. "
               "The link works once and expires in 1 hour. If no email arrives, ask your designated "
               "administrator.")


class PasswordChangeIn(BaseModel):
    current_password: str = Field("", max_length=1024)
    new_password: str = Field("", max_length=1024)
    confirm_password: str | None = Field(None, max_length=1024)


class ForgotIn(BaseModel):
    email: str = Field("", max_length=254)


class ResetIn(BaseModel):
    token: str = Field("", max_length=200)
    new_password: str = Field("", max_length=1024)
    confirm_password: str | None = Field(None, max_length=1024)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def set_session_cookie(response, token: str, settings) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=settings.public_url.startswith("https://"), path="/")


# ---------------------------------------------------------------- change


def _change(request: Request, db, actor, moment, data: PasswordChangeIn) -> str | None:
    """Changes the password; returns the new session token when signed in by browser.

    A wrong current password counts towards the sign-in throttle, so a stolen session cannot be
    used to guess the password."""
    keys = throttle.keys_for(actor.user.email, _address(request))
    wait = throttle.wait_needed(db, keys, moment)
    if wait.total_seconds() > 0:
        raise ApiError(429, f"Too many wrong passwords. Try again in {int(wait.total_seconds()) + 1} "
                            "seconds.", code="throttled")
    try:
        change_password(db, actor.user, data.current_password, data.new_password,
                        data.confirm_password, moment)
    except ValidationFailed as err:
        db.rollback()
        if err.code == "wrong_password":
            throttle.record_failure(db, keys, moment)
            db.commit()
        raise
    throttle.clear(db, keys)
    token = None
    if actor.session is not None:  # every session ended; this browser gets a new one
        token = start_session(db, actor.user, moment, actor.session.program_id)
    db.commit()
    return token


@router.get("/password/change", include_in_schema=False)
async def change_form(request: Request, actor: CurrentActor):
    return render(request, "accounts/password_change.html", {"forced": actor.user.must_change_password})


@router.post("/password/change", include_in_schema=False)
async def change_page(request: Request, actor: CurrentActor, db: DbSession, moment: Now,
                      settings: SettingsDep,
                      current_password: Annotated[str, Form()] = "",
                      new_password: Annotated[str, Form()] = "",
                      confirm_password: Annotated[str, Form()] = ""):
    forced = actor.user.must_change_password
    try:
        token = await run_in_threadpool(_change, request, db, actor, moment, PasswordChangeIn(
            current_password=current_password, new_password=new_password,
            confirm_password=confirm_password))
    except ApiError as err:
        return render(request, "accounts/password_change.html",
                      {"forced": forced, "errors": {"_form": err.reason}}, err.status)
    except ValidationFailed as err:
        return render(request, "accounts/password_change.html",
                      {"forced": forced, "errors": form_errors(err)}, form_status(err))
    program_id = actor.session.program_id if actor.session else None
    step = sign_in_step if forced else next_step  # the forced change is a step of signing in
    target = step(actor.user, program_id, local_date(moment)) or "/?done=password"
    response = RedirectResponse(target, status_code=303)
    if token:
        set_session_cookie(response, token, settings)
    return response


@router.post("/api/v1/password", response_model=DetailOut)
async def change_api(request: Request, actor: CurrentActor, db: DbSession, moment: Now,
                     settings: SettingsDep, data: PasswordChangeIn):
    """Changes your password (current password required). Ends every session; a browser session
    gets a new cookie with this answer."""
    token = await run_in_threadpool(_change, request, db, actor, moment, data)
    response = JSONResponse({"detail": "Your password was changed."})
    if token:
        set_session_cookie(response, token, settings)
    return response


# ---------------------------------------------------------------- forgot


def _forgot(request: Request, db, moment, tasks: BackgroundTasks, email: str) -> None:
    """Sends a reset link if an active account uses ``email``; answers alike either way.

    Requests count per email against the same throttle rule as sign-in, so the form cannot be
    used to flood someone's mailbox, and per address with a looser allowance, so one clinic behind
    one address is not blocked by a few colleagues' requests."""
    keys = [f"reset-{k}" for k in throttle.keys_for(email, _address(request))]
    wait = throttle.wait_needed(db, keys, moment, free={keys[1]: RESET_ADDRESS_FREE_REQUESTS})
    if wait.total_seconds() > 0:
        raise ApiError(429, f"Too many requests. Try again in {int(wait.total_seconds()) + 1} seconds.",
                       code="throttled")
    throttle.record_failure(db, keys, moment)
    user = find_by_email(db, email)
    outbox_id = None
    if user is not None and user.is_active:
        link, token = issue_link(db, user, RESET, moment)
        outbox_id = messages.queue(
            request, db, to=user.email, template="password_reset", key=f"password-link:{link.id}",
            secret=True,
            context={"user": user, "expires_in": messages.describe(RESET_TOKEN_TTL),
                     "link": f"{request.app.state.settings.public_url}/password/reset/{token}"})
        audit.record(db, action="user.password_reset_requested", entity_type="user",
                     entity_id=user.id, user_id=user.id)
    db.commit()
    messages.deliver_after_response(tasks, request, [outbox_id])


@router.get("/password/forgot", include_in_schema=False)
async def forgot_form(request: Request):
    return issue_anon_csrf(request, "accounts/password_forgot.html", {})


@router.post("/password/forgot", include_in_schema=False)
async def forgot_page(request: Request, db: DbSession, moment: Now, tasks: BackgroundTasks,
                      email: Annotated[str, Form()] = "", csrf_token: Annotated[str, Form()] = ""):
    if not anon_csrf_ok(request, csrf_token):
        return issue_anon_csrf(request, "accounts/password_forgot.html",
                               {"email": email, "errors": {"_form": "The form expired. Please try again."}}, 400)
    try:
        _forgot(request, db, moment, tasks, email)
    except ApiError as err:
        return issue_anon_csrf(request, "accounts/password_forgot.html",
                               {"email": email, "errors": {"_form": err.reason}}, err.status)
    return issue_anon_csrf(request, "accounts/password_forgot.html", {"sent": SAME_ANSWER})


@router.post("/api/v1/password/forgot", status_code=202)
async def forgot_api(request: Request, db: DbSession, moment: Now, tasks: BackgroundTasks,
                     data: ForgotIn) -> DetailOut:
    """Emails a single-use reset link if an account uses the address. The answer is the same
    whether or not one does."""
    _forgot(request, db, moment, tasks, data.email)
    return {"detail": SAME_ANSWER}


# ---------------------------------------------------------------- the link


def _reset(request: Request, db, moment, data: ResetIn) -> None:
    user = set_password_by_link(db, data.token, data.new_password, data.confirm_password, moment)
    throttle.clear(db, throttle.keys_for(user.email, _address(request)))
    db.commit()


def _link_context(db, token: str, moment) -> dict | None:
    found = link_holder(db, token, moment)
    if found is None:
        return None
    row, user = found
    return {"token": token, "invite": row.purpose != RESET, "user_email": user.email}


@router.get("/password/reset/{token}", include_in_schema=False)
async def reset_form(request: Request, token: str, db: DbSession, moment: Now):
    ctx = _link_context(db, token, moment)
    if ctx is None:
        return issue_anon_csrf(request, "accounts/password_reset.html", {"invalid": INVALID_LINK}, 400)
    return issue_anon_csrf(request, "accounts/password_reset.html", ctx)


@router.post("/password/reset/{token}", include_in_schema=False)
async def reset_page(request: Request, token: str, db: DbSession, moment: Now,
                     new_password: Annotated[str, Form()] = "",
                     confirm_password: Annotated[str, Form()] = "",
                     csrf_token: Annotated[str, Form()] = ""):
    ctx = _link_context(db, token, moment)
    if ctx is None:
        return issue_anon_csrf(request, "accounts/password_reset.html", {"invalid": INVALID_LINK}, 400)
    if not anon_csrf_ok(request, csrf_token):
        return issue_anon_csrf(request, "accounts/password_reset.html",
                               {**ctx, "errors": {"_form": "The form expired. Please try again."}}, 400)
    try:
        await run_in_threadpool(_reset, request, db, moment, ResetIn(
            token=token, new_password=new_password, confirm_password=confirm_password))
    except ValidationFailed as err:
        db.rollback()
        if err.code == "invalid_link":
            return issue_anon_csrf(request, "accounts/password_reset.html", {"invalid": err.reason}, 400)
        return issue_anon_csrf(request, "accounts/password_reset.html",
                               {**ctx, "errors": form_errors(err)}, form_status(err))
    return RedirectResponse("/login?done=password", status_code=303)


@router.post("/api/v1/password/reset")
async def reset_api(request: Request, db: DbSession, moment: Now, data: ResetIn) -> DetailOut:
    """Sets a new password with the token of a "Forgot Password" or new-account link (once)."""
    try:
        await run_in_threadpool(_reset, request, db, moment, data)
    except ValidationFailed as err:
        if err.code == "invalid_link":
            raise ApiError(400, err.reason, code="invalid_link") from None
        raise
    return {"detail": "Your new password is set. Sign in with it."}

