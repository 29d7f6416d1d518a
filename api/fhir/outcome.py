"""Every refusal under /fhir as an OperationOutcome (FHIR's error resource), with the HTTP status
the JSON API gives the same refusal. `api.errors` renders answers under /fhir through here, so a
refusal anywhere (authentication, validation, a workflow's validator, an unknown path) keeps its
reason and its status, and only the shape changes."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from api.fhir.models import JSON_TYPE, build, to_json

PREFIX = "/fhir"

_ISSUE_CODE = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               406: "not-supported", 409: "conflict", 410: "deleted", 412: "conflict", 413: "too-costly",
               415: "not-supported", 422: "processing", 429: "throttled", 503: "transient"}


def is_fhir_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def operation_outcome(status: int, body: dict) -> dict:
    """The OperationOutcome of an error answer ``body`` (CONNECT's Error shape: error, detail,
    field, fields): one issue per field to fix, or one for the whole request."""
    code = _ISSUE_CODE.get(status, "exception" if status >= 500 else "invalid")
    fields = body.get("fields") or ([{"field": body["field"], "detail": body.get("detail", "")}]
                                    if body.get("field") else [])
    issues = [{"severity": "error", "code": code, "diagnostics": str(body.get("error", "error")),
               "details": {"text": str(f.get("detail") or body.get("detail") or "")},
               "expression": [str(f["field"])]} for f in fields]
    issues = issues or [{"severity": "error", "code": code, "diagnostics": str(body.get("error", "error")),
                         "details": {"text": str(body.get("detail") or "The request was refused.")}}]
    return to_json(build("OperationOutcome", {"issue": issues}))


def outcome_response(status: int, body: dict) -> JSONResponse:
    return JSONResponse(operation_outcome(status, body), status_code=status, media_type=JSON_TYPE)
