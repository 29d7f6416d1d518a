"""The OpenAPI document says what the server does: how each operation authenticates (so /docs
has "Authorize") and the one error shape (`Error`) of every 4xx and 5xx it can answer."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from api.deps import CSRF_HEADER, SESSION_COOKIE, current_actor
from api import idempotency
from api.errors import ErrorOut

SECURITY_SCHEMES = {
    "bearerToken": {"type": "http", "scheme": "bearer",
                    "description": "An API token (Profile -> API tokens). With several programs, "
                                   "choose one with the X-Connect-Program header."},
    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                      "description": "The pages' session, set by signing in."},
    "csrfToken": {"type": "apiKey", "in": "header", "name": CSRF_HEADER,
                  "description": "With the session cookie, on every change (POST, PUT, PATCH, DELETE)."},
}
SIGNED_IN = [{"bearerToken": []}, {"sessionCookie": [], "csrfToken": []}]

ERRORS = {
    "400": "The request cannot be done as asked (the detail says why: an expired link, for instance).",
    "401": "Not signed in, or the API token is not valid.",
    "403": "Not allowed: role, program membership, MOU or release of information.",
    "404": "Not found (also a record of another program, as if it did not exist).",
    "409": "The record is not in a state that allows this (or a duplicate exists).",
    "413": "The request body is larger than the server accepts.",
    "422": "Bad input: `field`/`fields` name what to fix.",
    "429": "Too many attempts; wait as long as the detail says.",
    "500": "An unexpected failure (logged on the server).",
    "503": "The workflow service is not reachable; try again.",
}


# A path's suffix names the format of its answer (the reports' downloads).
FILE_TYPES = {".csv": "text/csv", ".pdf": "application/pdf"}


def signs_in(dependant: Dependant) -> bool:
    """Whether the operation depends, however deeply, on who is signed in."""
    return any(d.call is current_actor or signs_in(d) for d in dependant.dependencies)


def error_codes(route: APIRoute, method: str, authenticated: bool) -> list[str]:
    codes = ["422", "500"]
    if authenticated:
        codes += ["401", "403"]
    if route.dependant.path_params or authenticated:
        codes.append("404")
    if method != "get":
        codes += ["400", "409", "413", "429", "503"]
    return sorted(codes)


def build(app: FastAPI, routers: list[APIRouter]) -> dict:
    schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    defs = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(defs.pop("$defs", {}))
    schemas["Error"] = defs
    components["securitySchemes"] = SECURITY_SCHEMES
    components["parameters"] = {"IdempotencyKey": idempotency.PARAMETER}
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    # The app's own route list nests included routers; the routers hold the routes with full paths.
    for route in (r for router in routers for r in router.routes):
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods:
            op = schema["paths"].get(route.path_format, {}).get(method.lower())
            if op is None:
                continue
            # A route that checks the caller itself says so with openapi_extra={"security": ...}.
            authenticated = signs_in(route.dependant) or bool(op.get("security"))
            op.setdefault("security", SIGNED_IN if authenticated else [])
            if authenticated and idempotency.applies_to(method, route.path_format, route.path_format):
                op.setdefault("parameters", []).append({"$ref": "#/components/parameters/IdempotencyKey"})
            responses = op.setdefault("responses", {})
            for suffix, media_type in FILE_TYPES.items():
                if route.path_format.endswith(suffix):
                    responses["200"]["content"] = {media_type: {"schema": {"type": "string", "format": "binary"}}}
            for code in error_codes(route, method.lower(), authenticated):
                responses.setdefault(code, {"description": ERRORS[code]})
            # A route may declare a standard's own error shape (the OAuth token endpoint does).
            own = {str(code) for code, answer in route.responses.items() if "model" in answer}
            for code, answer in responses.items():
                if code[0] in "45" and code not in own:  # FastAPI's 422 shape is not what we answer
                    answer["content"] = error_content
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return schema


def install(app: FastAPI, routers: list[APIRouter]) -> None:
    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = build(app, routers)
        return app.openapi_schema

    app.openapi = openapi
