"""A cap on request bodies, checked as the bytes arrive: a body over the limit answers 413 before
it is parsed, stored, encrypted or handed to Temporal (whose payloads must stay under 2 MB).

Uploads (multipart bodies: the scanned ROI) have their own, larger limit, `UPLOAD_MAX_BYTES`; every
other body is held to `REQUEST_MAX_BYTES`. A `Content-Length` over the limit is refused at once; a
body without one (chunked) is counted and refused as soon as it passes the limit.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import answer_http_error
from connect.settings import Settings

# Room for a multipart body's boundaries, headers and small fields beside the file itself.
MULTIPART_OVERHEAD = 64 * 1024


class BodyTooLarge(HTTPException):
    code = "body_too_large"

    def __init__(self, limit: int, upload: bool):
        what = "An uploaded file" if upload else "A request body"
        super().__init__(413, f"{what} may be at most {_size(limit)}; this one is larger. "
                              + ("Upload a smaller scan." if upload else "Send less text."))


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n / 1024:g} KB"


def limit_for(scope: Scope, settings: Settings) -> tuple[int, bool]:
    """The byte limit of this request's body, and whether it is an upload."""
    headers = dict(scope.get("headers") or [])
    content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
    if content_type.startswith("multipart/form-data"):
        return settings.upload_max_bytes + MULTIPART_OVERHEAD, True
    return settings.request_max_bytes, False


class BodyLimit:
    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, upload = limit_for(scope, self.settings)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            response = answer_http_error(Request(scope), BodyTooLarge(limit, upload))
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, upload)
            return message

        await self.app(scope, counting_receive, send)


def install(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(BodyLimit, settings=settings)
