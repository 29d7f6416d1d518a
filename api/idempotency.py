"""Safe retries of the JSON API's changes: a POST under /api/v1 with an `Idempotency-Key` header
runs once; a retry with the same key and the same request gets the first answer again.

`claim_key` runs when the caller is known (at the end of `current_actor`): it claims the key for
the caller, or answers from the earlier use of it. `StoreAnswers`, an ASGI middleware, keeps the
answer of a request that succeeded (2xx) and frees the key of one that failed, so a corrected
request may use it again. Keys belong to the caller (a person, or an API client) and last
`KEY_LIFETIME`.

A create that committed its rows and then answered 503 (its workflow step not confirmed in time)
names what it created (`remember_created`); its key is then kept as resumable, and the retry with
the same key takes it over and gets those records (`created_before`) to finish instead of
creating more: a referral or ROI start retried after a 503 answers like a first success.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlencode

from fastapi import FastAPI, Request, Response
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, Conflict
from models.idempotency import (
    KEY_LIFETIME,
    RESUMABLE,
    Claimed,
    Earlier,
    claim,
    give_up,
    keep,
    keep_resumable,
    take_over,
)

HEADER = "Idempotency-Key"
KEY_MAX = 100
REPLAYED_HEADER = "Idempotent-Replayed"
_STATE = "idempotency_claim"
_CREATED = "idempotency_created"  # what a create committed, kept if it answers 503
_RESUMED = "idempotency_resumed"  # what the earlier attempt of this retry created

NOT_STORED = frozenset({
    "/api/v1/tokens", "/api/v1/admin/api-clients", "/api/v1/admin/api-clients/{client_pk}/rotate",
    "/api/v1/password",
})
"""Routes whose answer shows a secret once (kept only as a hash) or take a password: their answers
are not stored, so these routes ignore the header."""

PARAMETER = {
    "name": HEADER, "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": KEY_MAX},
    "description": (
        "A value you choose (1 to 100 characters, unique per change, e.g. a UUID) to make a retry safe. "
        "A retry with the same key and the same request gets the first answer again (with the header "
        f"`{REPLAYED_HEADER}: true`) and changes nothing; the same key with another request is refused "
        "(422), and while the first request still runs a retry gets 409. Only successful answers are "
        "kept, for 24 hours; after a failure the key can be used again."),
}


def applies_to(method: str, path: str, route_path: str) -> bool:
    """Whether a request (its method, path and route template) takes an Idempotency-Key."""
    return method == "POST" and path.startswith("/api/v1/") and route_path not in NOT_STORED


def principal_of(actor) -> str:
    """Whose keys these are: an API client's own, or a person's (whatever their credential)."""
    return f"client:{actor.client.id}" if actor.client is not None else f"user:{actor.user.id}"


def request_fingerprint(secret: str, program_id: int | None, query: str, body: bytes) -> str:
    """A keyed hash of what the request asks (bodies may name clients or carry passwords), with the
    JSON body in one canonical form so whitespace and key order do not matter."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    message = b"\0".join([str(program_id).encode(), query.encode(), canonical])
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


FORM_FIELD = "idempotency_key"  # the hidden field of a page's form (api.updates.IDEMPOTENCY_FIELD)


async def claim_form_key(request: Request, actor, moment) -> None:
    """For a page form that creates rows (it has no update id to make a repeat harmless): claims
    the form's hidden key like `claim_key` claims an API client's, in the same records. A repeat of
    the form then finds what the first created (`created_before`), or the first still running
    (409). Whether the form is the same is judged on its fields (with its CSRF token)."""
    form = await request.form()
    key = str(form.get(FORM_FIELD) or "")
    if not key:
        return
    if len(key) > KEY_MAX:
        raise ApiError(422, f"The form's key must be 1 to {KEY_MAX} characters.", code="bad_key")
    fields = urlencode(sorted((k, v) for k, v in form.multi_items() if isinstance(v, str))).encode()
    asked = f"POST {request.url.path}"
    fingerprint = request_fingerprint(request.app.state.settings.secret_key, actor.program_id, "", fields)
    db: Session = request.app.state.session_factory()
    try:
        outcome = claim(db, principal=principal_of(actor), key=key, request=asked, body_hash=fingerprint,
                        now=moment)
        if isinstance(outcome, Claimed):
            request.state.idempotency_claim = outcome
            return
        same = outcome.request == asked and hmac.compare_digest(outcome.body_hash, fingerprint)
        if same and outcome.status == RESUMABLE and take_over(db, outcome.record_id, moment):
            request.state.idempotency_claim = Claimed(outcome.record_id)
        elif not same or outcome.status is None or outcome.status == RESUMABLE:
            raise Conflict("This form is still being handled, or was sent for another request. Wait a moment "
                           "and reload the page.", code="idempotency_key_in_use")
        request.state.idempotency_resumed = json.loads(outcome.body or b"{}")
    finally:
        db.close()


def remember_created(request: Request, created: dict) -> None:
    """Names the records this request committed (``{"referral": 12}``), so that if it answers
    503 its retry with the same key finishes them instead of creating more."""
    request.state.idempotency_created = created


def created_before(request: Request) -> dict:
    """What the earlier attempt of this retry created ({} on a first attempt)."""
    return getattr(request.state, _RESUMED, None) or {}


class Replay(Exception):
    """Raised while dependencies are solved: answer with the stored answer, do nothing else."""

    def __init__(self, earlier: Earlier):
        self.earlier = earlier


async def claim_key(request: Request, actor, moment) -> None:
    """Claims the request's Idempotency-Key for the actor, or answers from its earlier use."""
    key = request.headers.get(HEADER)
    route = request.scope.get("route")
    if key is None or route is None or not applies_to(request.method, request.url.path, route.path_format):
        return
    if not 0 < len(key) <= KEY_MAX:
        raise ApiError(422, f"The {HEADER} header must be 1 to {KEY_MAX} characters.", code="bad_key", field=HEADER)
    settings = request.app.state.settings
    asked = f"POST {request.url.path}"
    fingerprint = request_fingerprint(settings.secret_key, actor.program_id, request.url.query, await request.body())
    db: Session = request.app.state.session_factory()
    try:
        outcome = claim(db, principal=principal_of(actor), key=key, request=asked, body_hash=fingerprint,
                        now=moment)
    finally:
        db.close()
    if isinstance(outcome, Claimed):
        request.state.idempotency_claim = outcome
        return
    if outcome.request != asked or not hmac.compare_digest(outcome.body_hash, fingerprint):
        raise ApiError(422, f"This {HEADER} was already used for a different request ({outcome.request}). "
                            "Use a new key for a new request.", code="idempotency_key_reused", field=HEADER)
    if outcome.status == RESUMABLE:
        db = request.app.state.session_factory()
        try:
            resumed = take_over(db, outcome.record_id, moment)
        finally:
            db.close()
        if resumed:
            request.state.idempotency_claim = Claimed(outcome.record_id)
            request.state.idempotency_resumed = json.loads(outcome.body or b"{}")
            return
    if outcome.status in (None, RESUMABLE):  # RESUMABLE: another retry took it over first
        raise Conflict(f"A request with this {HEADER} is still being answered. Wait a moment, then retry "
                       "with the same key to get its answer.", code="idempotency_key_in_use")
    raise Replay(outcome)


class StoreAnswers:
    """Keeps the answer of a request that claimed a key, or frees the key if it failed."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        status, media_type, chunks = 0, None, []

        async def recording_send(message: Message) -> None:
            nonlocal status, media_type
            if message["type"] == "http.response.start":
                status = message["status"]
                media_type = dict(message.get("headers") or []).get(b"content-type", b"").decode("latin-1") or None
            elif message["type"] == "http.response.body" and scope.get("state", {}).get(_STATE):
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            claimed: Claimed | None = scope.get("state", {}).get(_STATE)
            if claimed is not None:
                db: Session = scope["app"].state.session_factory()
                try:
                    created = scope.get("state", {}).get(_CREATED)
                    if 200 <= status < 300:
                        keep(db, claimed, status, media_type, b"".join(chunks))
                    elif status == 503 and created:
                        keep_resumable(db, claimed, json.dumps(created).encode())
                    elif 300 <= status < 400 and created:  # a page form's creation (claim_form_key)
                        keep(db, claimed, status, "application/json", json.dumps(created).encode())
                    else:
                        give_up(db, claimed)
                finally:
                    db.close()


def install(app: FastAPI) -> None:
    app.add_middleware(StoreAnswers)

    @app.exception_handler(Replay)
    async def _replay(request: Request, exc: Replay):
        earlier = exc.earlier
        return Response(earlier.body or b"", status_code=earlier.status, media_type=earlier.media_type,
                        headers={REPLAYED_HEADER: "true"})


__all__ = ["HEADER", "KEY_LIFETIME", "PARAMETER", "applies_to", "claim_key", "install"]
