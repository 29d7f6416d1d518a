"""Helpers for server-rendered forms: reading a posted form (the one way every page does), the
reasons of a refusal per field, rendering, and CSRF for forms shown before sign-in."""

from __future__ import annotations

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData

from api.errors import ApiError, status_of
from models.accounts.credentials import constant_time_equal, new_token
from domain.errors import DomainError, ValidationFailed

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


class PostedForm:
    """A posted form as pages read it: a field's text ("" when it was not sent), a repeated field's
    texts, a ticked box, a number that marks its field when it is not one. ``get`` and
    ``getlist`` are the raw values (an uploaded file, a form shown again)."""

    def __init__(self, data: FormData):
        self._data = data

    def text(self, name: str) -> str:
        value = self._data.get(name)
        return "" if value is None else str(value)

    def texts(self, name: str) -> list[str]:
        return [str(v) for v in self._data.getlist(name)]

    def ticked(self, name: str) -> bool:
        return bool(self._data.get(name))

    def number(self, name: str, reason: str) -> int:
        """The field as a whole number; ValidationFailed on that field, with ``reason``, if not."""
        text = self.text(name).strip()
        if not (text.isascii() and text.isdigit()):
            raise ValidationFailed(reason, field=name, code=f"bad_{name}")
        return int(text)

    def prefixed(self, prefix: str) -> dict[str, str]:
        """The fields named ``prefix`` + key, by key (a program's own referral questions)."""
        return {k[len(prefix):]: str(v) for k, v in self._data.multi_items() if k.startswith(prefix)}

    def values(self, lists: tuple[str, ...] = ()) -> dict:
        """The form as a dict without its CSRF token; the fields in ``lists`` as lists of the
        values given (checkbox groups)."""
        data: dict = {k: v for k, v in self._data.items() if k not in lists and k != "csrf_token"}
        for name in lists:
            data[name] = [v for v in self._data.getlist(name) if v != ""]
        return data

    def __contains__(self, name: str) -> bool:
        return name in self._data

    def get(self, name: str, default=None):
        return self._data.get(name, default)

    def getlist(self, name: str) -> list:
        return self._data.getlist(name)


async def posted_form(request: Request) -> PostedForm:
    return PostedForm(await request.form())


async def form_data(request: Request, lists: tuple[str, ...] = ()) -> dict:
    """The posted form as a dict; the fields named in ``lists`` as lists (checkbox groups)."""
    return (await posted_form(request)).values(lists)
