"""Helpers for server-rendered forms: rendering, and CSRF for forms shown before sign-in."""

from __future__ import annotations

from fastapi import Request

from connect.security import constant_time_equal, new_token

ANON_CSRF_COOKIE = "connect_csrf"


def render(request: Request, template: str, context: dict | None = None, status: int = 200):
    return request.app.state.templates.TemplateResponse(
        request, template, context or {}, status_code=status
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
