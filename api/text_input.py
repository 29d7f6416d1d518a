"""One check for every request's text input: no NUL characters.

A NUL byte is never meaningful in a name, an address or a note; PostgreSQL refuses it in text
columns (a 500 there, a silently stored one on SQLite). So it is refused here, for the query
string, JSON bodies and form fields alike, with a 422 that names the field, before any route runs.
Uploaded files (multipart file parts) are binary and not checked.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from starlette.datastructures import UploadFile

from api.errors import _answer

NUL = "\x00"
REASON = "Remove the invisible NUL character (\\u0000) from this field; it cannot be stored."


def _nul_in(value, path: str = "") -> str | None:
    """The dotted name of the first string (or key) in ``value`` holding a NUL, else None."""
    if isinstance(value, str):
        return path or "body" if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                return where
            if found := _nul_in(item, where):
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            if found := _nul_in(item, f"{path}.{i}" if path else str(i)):
                return found
    return None


async def nul_field(request: Request) -> str | None:
    """Which field of the request carries a NUL character, if one does."""
    for key, value in parse_qsl(request.url.query, keep_blank_values=True):
        if NUL in key or NUL in value:
            return key
    if NUL in request.url.path:
        return "path"
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            return _nul_in(json.loads(await request.body()))
        except ValueError:
            return None  # malformed JSON gets FastAPI's own 422
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        await request.body()  # cached, so the route reads the same body again
        form = await request.form()
        for key, value in form.multi_items():
            if NUL in key or (not isinstance(value, UploadFile) and NUL in value):
                return key
    return None


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def _refuse_nul(request: Request, call_next):
        field = await nul_field(request)
        if field is not None:
            # Middleware runs outside the exception handlers: answer as they would.
            return _answer(request, 422, {"error": "nul_character", "detail": REASON, "field": field,
                                          "fields": [{"field": field, "detail": REASON}]})
        return await call_next(request)
