"""One mapping from expected failures to HTTP answers, for pages and for the JSON API."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import Conflict as DomainConflict
from domain.errors import DomainError, InvalidTransition, NotAllowed, ValidationFailed


class ApiError(Exception):
    """An expected failure raised by a route: status, reason, and optional structured extras."""

    def __init__(self, status: int, reason: str, *, code: str = "error", **extra):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.code = code
        self.extra = extra


class NotFound(ApiError):
    def __init__(self, what: str = "That record"):
        super().__init__(404, f"{what} was not found.", code="not_found")


class Forbidden(ApiError):
    def __init__(self, reason: str, *, code: str = "forbidden", **extra):
        super().__init__(403, reason, code=code, **extra)


class Conflict(ApiError):
    def __init__(self, reason: str, *, code: str = "conflict", **extra):
        super().__init__(409, reason, code=code, **extra)


def status_of(exc: DomainError) -> int:
    if isinstance(exc, ValidationFailed):
        return 422
    if isinstance(exc, NotAllowed):
        return 403
    if isinstance(exc, (InvalidTransition, DomainConflict)):
        return 409
    return 400


def wants_html(request: Request) -> bool:
    if request.url.path.startswith(("/api/", "/codec/", "/twilio/")):
        return False
    return "text/html" in request.headers.get("accept", "")


def _answer(request: Request, status: int, body: dict):
    if wants_html(request):
        templates = request.app.state.templates
        return templates.TemplateResponse(
            request, "error.html", {"status": status, "error": body}, status_code=status
        )
    return JSONResponse(body, status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        body = {"error": exc.code, "detail": exc.reason, **exc.extra}
        response = _answer(request, exc.status, body)
        if exc.status == 401 and wants_html(request):
            from fastapi.responses import RedirectResponse

            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return response

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError):
        body = {"error": exc.code, "detail": exc.reason}
        field = getattr(exc, "field", None)
        if field:
            body["field"] = field
        body.update(exc.details())
        return _answer(request, status_of(exc), body)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        fields = [
            {"field": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]), "detail": e["msg"]}
            for e in exc.errors()
        ]
        reason = "; ".join(f"{f['field']}: {f['detail']}" for f in fields)
        return _answer(request, 422, {"error": "invalid_input", "detail": reason, "fields": fields})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return _answer(request, exc.status_code, {"error": "http_error", "detail": str(exc.detail)})
