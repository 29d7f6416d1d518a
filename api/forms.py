"""Helpers for server-rendered forms: rendering, and CSRF for forms shown before sign-in."""

from __future__ import annotations

from fastapi import Request
from pydantic import ValidationError

from api.errors import ApiError, status_of
from models.accounts.credentials import constant_time_equal, new_token
from domain.errors import DomainError

ANON_CSRF_COOKIE = "connect_csrf"


def render(request: Request, template: str, context: dict | None = None, status: int = 200):
    # Forms read `errors` (field -> message) and `values`; a first showing has neither.
    return request.app.state.templates.TemplateResponse(
        request, template, {"errors": {}, "values": {}, **(context or {})}, status_code=status
    )


def issue_anon_csrf(request: Request, template: str, context: dict, status: int = 200):
    """Double-submit token for the sign-in, forgot- and reset-password forms."""
    token = request.cookies.get(ANON_CSRF_COOKIE) or new_token(24)
    response = render(request, template, {**context, "anon_csrf": token}, status)
    response.set_cookie(ANON_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
    return response


def anon_csrf_ok(request: Request, presented: str) -> bool:
    cookie = request.cookies.get(ANON_CSRF_COOKIE, "")
    return bool(cookie) and constant_time_equal(cookie, presented)


def form_errors(err: Exception) -> dict[str, str]:
    """Field -> message for a form, from a pydantic or a domain failure ("_form" for the page)."""
    if isinstance(err, ValidationError):
        found: dict[str, str] = {}
        for e in err.errors():
            name = str(e["loc"][0]) if e["loc"] else "_form"
            found.setdefault(name, e["msg"].removeprefix("Value error, "))
        return found
    if isinstance(err, DomainError):
        return {getattr(err, "field", None) or "_form": err.reason}
    if isinstance(err, ApiError):
        return {"_form": err.reason}
    raise err


def form_status(err: Exception) -> int:
    if isinstance(err, DomainError):
        return status_of(err)
    if isinstance(err, ApiError):
        return err.status
    return 422


FormFailure = (ValidationError, DomainError, ApiError)
"""What a page form catches to show again with the reasons (anything else is a real error)."""


async def form_data(request: Request, lists: tuple[str, ...] = ()) -> dict:
    """The posted form as a dict; the fields named in ``lists`` as lists (checkbox groups)."""
    form = await request.form()
    data: dict = {k: v for k, v in form.items() if k not in lists and k != "csrf_token"}
    for name in lists:
        data[name] = [v for v in form.getlist(name) if v != ""]
    return data
