"""One mapping from expected failures to HTTP answers, for pages and for the JSON API."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError, RPCStatusCode
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from domain.errors import Conflict as DomainConflict
from domain.errors import DomainError, InvalidTransition, NotAllowed, ValidationFailed
from domain.errors import NotFound as DomainNotFound


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
    if isinstance(exc, DomainNotFound):
        return 404
    return 400


# A workflow update refused by its validator or handler: ApplicationError type -> HTTP status
# (workflows name the type after the domain error class they refuse with).
UPDATE_FAILURE_STATUS = {
    "NotAllowed": 403,
    "ValidationFailed": 422,
    "InvalidTransition": 409,
    "Conflict": 409,
    "NotFound": 404,
    "DomainError": 400,
}


# Neither a timeout nor a lost connection tells whether the server accepted the update: it may
# still be applied when the worker returns. So the answer never says "nothing was changed"; a
# retry with the same Idempotency-Key (the update id) is applied once and answers like the first.
MAY_BE_APPLIED = ("CONNECT could not confirm this change in time; it may have been applied and may still "
                  "be applied. Check the record, or retry with the same Idempotency-Key: it will not be "
                  "applied twice.")


def from_workflow_failure(exc: Exception) -> ApiError | None:
    """The 4xx answer for a refused workflow update (its validator's or handler's reason), or for
    a workflow that has ended or a Temporal that is unreachable; None for anything else."""
    if isinstance(exc, WorkflowUpdateFailedError):
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type in UPDATE_FAILURE_STATUS:
            details = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
            extra = {k: v for k, v in details.items() if k != "code" and v is not None}
            return ApiError(UPDATE_FAILURE_STATUS[cause.type], cause.message,
                            code=details.get("code") or cause.type, **extra)
        return None
    if isinstance(exc, RPCError):
        if exc.status == RPCStatusCode.NOT_FOUND:
            return ApiError(409, "This record's workflow has ended, so it can no longer change.",
                            code="workflow_ended")
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            return ApiError(503, MAY_BE_APPLIED, code="temporal_unavailable")
    return None


def failure_answer(exc: Exception) -> tuple[int, dict]:
    """The status and body for an expected failure: an ApiError, a DomainError, or a workflow
    failure as above. Pages use it to re-render a form with the reason."""
    if isinstance(exc, WorkflowUpdateFailedError | RPCError):
        mapped = from_workflow_failure(exc)
        if mapped is None:
            return 503, {"error": "update_failed",
                         "detail": "CONNECT could not confirm this change right now; it may have been "
                                   "applied. Check the record before you try again."}
        exc = mapped
    if isinstance(exc, ApiError):
        return exc.status, {"error": exc.code, "detail": exc.reason, **exc.extra}
    if isinstance(exc, DomainError):
        body = {"error": exc.code, "detail": exc.reason}
        if getattr(exc, "field", None):
            body["field"] = exc.field
        body.update(exc.details())
        return status_of(exc), body
    raise TypeError(f"not an expected failure: {exc!r}")


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
        status, body = failure_answer(exc)
        response = _answer(request, status, body)
        if exc.status == 401 and wants_html(request):
            from fastapi.responses import RedirectResponse

            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return response

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError):
        return _answer(request, *failure_answer(exc))

    @app.exception_handler(WorkflowUpdateFailedError)
    @app.exception_handler(RPCError)
    async def _workflow_failure(request: Request, exc: Exception):
        return _answer(request, *failure_answer(exc))

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
