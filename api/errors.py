"""One mapping from expected failures to HTTP answers, for pages and for the JSON API."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.service import RPCError, RPCStatusCode
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ActivityError, RetryState
from temporalio.exceptions import TimeoutError as ActivityTimeout

from domain.errors import Conflict as DomainConflict
from domain.errors import DomainError, InvalidTransition, NotAllowed, TooManyAttempts, ValidationFailed
from domain.errors import NotFound as DomainNotFound
from workflows.failures import domain_error


log = logging.getLogger("connect.api")


class FieldError(BaseModel):
    field: str = Field(description="The request's own name of the field (a dotted path into the "
                                   "body, or a parameter's name), or `body` for a body that is "
                                   "not JSON.")
    detail: str


class ErrorOut(BaseModel):
    """Every 4xx and 5xx answer of the JSON API has this shape; some add structured extras (the
    assignee of an already-assigned referral, the duplicates of a new client, a link to act on)."""

    model_config = ConfigDict(extra="allow", title="Error")

    error: str = Field(description="A short, stable machine code (`invalid_input`, `not_found`, ...).")
    detail: str = Field(description="What is wrong and what to do about it, for a person.")
    field: str | None = Field(None, description="The one field to fix, when there is one.")
    fields: list[FieldError] | None = Field(None, description="Every field to fix (422 `invalid_input`).")


class ApiError(Exception):
    """An expected failure raised by a route: status, reason, and optional structured extras."""

    def __init__(self, status: int, reason: str, *, code: str = "error",
                 headers: dict[str, str] | None = None, **extra):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.code = code
        self.headers = headers or {}  # e.g. WWW-Authenticate for a refused OAuth access token
        self.extra = extra


class NotFound(ApiError):
    def __init__(self, what: str = "That record"):
        super().__init__(404, f"{what} was not found.", code="not_found")


class Forbidden(ApiError):
    def __init__(self, reason: str, *, code: str = "forbidden", headers: dict[str, str] | None = None, **extra):
        super().__init__(403, reason, code=code, headers=headers, **extra)


class Conflict(ApiError):
    def __init__(self, reason: str, *, code: str = "conflict", **extra):
        super().__init__(409, reason, code=code, **extra)


def status_of(exc: DomainError) -> int:
    if isinstance(exc, TooManyAttempts):
        return 429
    if isinstance(exc, ValidationFailed):
        return 422
    if isinstance(exc, NotAllowed):
        return 403
    if isinstance(exc, (InvalidTransition, DomainConflict)):
        return 409
    if isinstance(exc, DomainNotFound):
        return 404
    return 400


# Neither a timeout nor a lost connection tells whether the server accepted the update: it may
# still be applied when the worker returns. So the answer never says "nothing was changed"; a
# retry with the same Idempotency-Key (the update id) is applied once and answers like the first.
MAY_BE_APPLIED = ("CONNECT could not confirm this change in time; it may have been applied and may still "
                  "be applied. Check the record, or retry with the same Idempotency-Key: it will not be "
                  "applied twice.")


# A change whose database step gave up (workflows.delivery.db_step) failed and was undone: nothing
# is applied. Its update id now names that failure, so a retry needs a new key (a page a reload).
NOT_APPLIED = ("CONNECT's database did not answer in time, so this change was not applied. Try again in a "
               "few minutes with a new Idempotency-Key (on a page: reload it first).")


def _database_gave_up(failure: BaseException | None) -> bool:
    """An activity out of time: timed out itself, or its last attempt failed with no time left for
    another (the server then reports that attempt's error, with the retry state TIMEOUT)."""
    return isinstance(failure, ActivityError) and (
        isinstance(failure.cause, ActivityTimeout) or failure.retry_state == RetryState.TIMEOUT)


def domain_answer(exc: DomainError) -> tuple[int, dict]:
    body = {"error": exc.code, "detail": exc.reason}
    if getattr(exc, "field", None):
        body["field"] = exc.field
    body.update(exc.details())
    return status_of(exc), body


def from_workflow_failure(exc: Exception) -> ApiError | None:
    """The 4xx answer for a refused workflow update (its validator's or handler's reason), or for
    a workflow that has ended or a Temporal that is unreachable; None for anything else."""
    if isinstance(exc, WorkflowUpdateFailedError):
        refusal = domain_error(exc.cause)
        if refusal is None:
            if _database_gave_up(exc.cause):
                return ApiError(503, NOT_APPLIED, code="database_unavailable")
            return None
        status, body = domain_answer(refusal)
        return ApiError(status, body.pop("detail"), code=body.pop("error"), **body)
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
        return domain_answer(exc)
    raise TypeError(f"not an expected failure: {exc!r}")


def wants_html(request: Request) -> bool:
    if request.url.path.startswith(("/api/", "/codec/", "/twilio/", "/fhir")):
        return False
    return "text/html" in request.headers.get("accept", "")


def _answer(request: Request, status: int, body: dict):
    from api.fhir.outcome import is_fhir_path, outcome_response

    if is_fhir_path(request.url.path):  # the FHIR API refuses in FHIR's shape, OperationOutcome
        return outcome_response(status, body)
    if wants_html(request):
        templates = request.app.state.templates
        return templates.TemplateResponse(
            request, "error.html", {"status": status, "error": body}, status_code=status
        )
    return JSONResponse(body, status_code=status)


def answer_http_error(request: Request, exc: StarletteHTTPException):
    """A framework-level refusal (unknown path, wrong method, body too large) in the same shape."""
    code = getattr(exc, "code", None) or {404: "not_found", 405: "method_not_allowed"}.get(
        exc.status_code, "http_error")
    response = _answer(request, exc.status_code, {"error": code, "detail": str(exc.detail)})
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def field_name(error: dict) -> str:
    """The request's own name of what a pydantic error is about: `reason`, `phones.0.number`,
    `referral_id`; `body` when the body is not JSON (pydantic then points at a character)."""
    loc = list(error["loc"])
    if error.get("type") == "json_invalid":
        return "body"
    if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
        where, loc = loc[0], loc[1:]
    else:
        where = "body"
    return ".".join(str(p) for p in loc) or where


class CatchAll:
    """An ASGI middleware inside the error handlers' reach: a failure nobody expected answers 500
    in the documented error shape (never a plain-text page, never a dropped connection), and its
    traceback goes to the log, not to the client."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unexpected failure answering %s %s", scope.get("method"), scope.get("path"))
            if started:  # the answer is half sent; the server closes the connection
                raise
            response = _answer(Request(scope), 500, {"error": "server_error", "detail": (
                "CONNECT failed to answer this request. It has been logged; try again, and tell "
                "your administrator if it keeps happening.")})
            await response(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_middleware(CatchAll)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        status, body = failure_answer(exc)
        response = _answer(request, status, body)
        if exc.status == 401 and wants_html(request):
            from fastapi.responses import RedirectResponse

            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        response.headers.update(exc.headers)
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
        fields = [{"field": field_name(e), "detail": e["msg"]} for e in exc.errors()]
        reason = "; ".join(f"{f['field']}: {f['detail']}" for f in fields)
        body = {"error": "invalid_input", "detail": reason, "fields": fields}
        if len(fields) == 1:
            body["field"] = fields[0]["field"]
        return _answer(request, 422, body)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return answer_http_error(request, exc)
