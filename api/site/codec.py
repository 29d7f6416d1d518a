"""The codec endpoint the Temporal UI (and CLI) call to read encrypted payloads.

Only supervisors may decode: the state team every payload, a designated administrator only the
payloads of workflows of programs in their regions (each encrypted payload names its workflow; see
connect.codec). Every decode and every refusal is audited, with the workflows' ids. The browser
reaches this from the Temporal UI's origin, so CORS allows exactly that origin.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from google.protobuf import json_format
from pydantic import BaseModel, Field
from temporalio.api.common.v1 import Payloads

from api.deps import DbSession, Now, SESSION_COOKIE
from api.errors import ApiError, Forbidden
from connect.codec import ENCODING, workflow_id_of
from connect.temporal import codec_from_settings
from domain.accounts import AdminScope
from domain.workflow_owners import may_decode
from models import audit
from models.accounts.tables import User
from models.workflow_owners import regions_of_workflow
from models.accounts.sessions import SessionLimits, resolve_api_token, resolve_session

router = APIRouter(prefix="/codec", tags=["temporal"])


class PayloadJson(BaseModel):
    metadata: dict[str, str] = Field(default_factory=dict, description="base64 values, by key")
    data: str = Field("", description="base64")


class PayloadsJson(BaseModel):
    """Temporal's `Payloads` message in its JSON form."""

    payloads: list[PayloadJson] = Field(default_factory=list)


def _cors(request: Request, response: Response) -> Response:
    ui_origin = request.app.state.settings.temporal_ui_url.rstrip("/")
    if request.headers.get("origin", "").rstrip("/") == ui_origin:
        response.headers["Access-Control-Allow-Origin"] = ui_origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, X-Namespace, Authorization"
        response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response.headers["Vary"] = "Origin"
    return response


def _supervisor(request: Request, db, moment) -> User:
    settings = request.app.state.settings
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/") not in {settings.temporal_ui_url.rstrip("/"),
                                            settings.public_url.rstrip("/")}:
        raise Forbidden("This origin may not use the codec.", code="bad_origin")
    user = None
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        token = resolve_api_token(db, auth[7:].strip(), moment)
        user = db.get(User, token.user_id) if token else None
    elif request.cookies.get(SESSION_COOKIE):
        from datetime import timedelta

        limits = SessionLimits(timedelta(minutes=settings.session_idle_minutes),
                               timedelta(hours=settings.session_absolute_hours))
        session = resolve_session(db, request.cookies[SESSION_COOKIE], moment, limits)
        user = db.get(User, session.user_id) if session else None
    if user is None:
        raise ApiError(401, "Sign in to CONNECT to read workflow payloads.", code="unauthenticated")
    if not user.is_admin:
        raise Forbidden("Only supervisors (state team, designated administrators) may decode payloads.")
    return user


UNLABELLED = "(no workflow named)"


def _check_scope(db, user: User, payloads: Payloads, namespace: str) -> list[str]:
    """The workflows whose payloads are asked for, if this supervisor may read them all; otherwise
    the refusal is audited and answered 403 (nothing is decoded)."""
    asked = sorted({workflow_id_of(p) or UNLABELLED for p in payloads.payloads
                    if p.metadata.get("encoding") == ENCODING})
    scope = AdminScope.of(user.is_state_team, user.region_numbers)
    refused = [w for w in asked
               if not may_decode(scope, () if w == UNLABELLED else regions_of_workflow(db, w))]
    if refused:
        audit.record(db, action="codec.decode_refused", entity_type="temporal", entity_id=namespace,
                     user_id=user.id, workflows=refused)
        db.commit()
        raise Forbidden("You may read the workflows of programs in your regions only; "
                        f"these are not: {', '.join(refused)}.", code="outside_your_regions")
    return asked


@router.options("/{op}", include_in_schema=False)
async def preflight(op: str, request: Request) -> Response:
    return _cors(request, Response(status_code=204))


async def _transform(request: Request, db, moment, op: str) -> Response:
    user = _supervisor(request, db, moment)
    try:
        payloads = json_format.Parse(await request.body(), Payloads())
    except Exception:
        raise ApiError(400, "The body must be Temporal Payloads in JSON form.", code="bad_payloads")
    workflows = _check_scope(db, user, payloads, request.headers.get("x-namespace", "default")) \
        if op == "decode" else []
    codec = codec_from_settings(request.app.state.settings)
    fn = codec.decode if op == "decode" else codec.encode
    try:
        result = Payloads(payloads=await fn(payloads.payloads))
    except Exception:
        raise ApiError(400, "These payloads cannot be decoded with CONNECT's keys.", code="bad_key")
    if op == "decode":
        audit.record(db, action="codec.decode", entity_type="temporal", user_id=user.id,
                     entity_id=request.headers.get("x-namespace", "default"),
                     payloads=len(payloads.payloads), workflows=workflows)
    db.commit()
    body = json_format.MessageToJson(result)
    return _cors(request, Response(body, media_type="application/json"))


# The codec checks the caller itself (a supervisor's session or token, with CORS for the UI).
SUPERVISOR = {"security": [{"bearerToken": []}, {"sessionCookie": []}], "requestBody": {
    "required": True, "description": "Temporal Payloads in their JSON form (what the Temporal UI sends).",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PayloadsJson"}}}}}


@router.post("/decode", openapi_extra=SUPERVISOR, response_model=PayloadsJson)
async def decode(request: Request, db: DbSession, moment: Now) -> Response:
    return await _transform(request, db, moment, "decode")


@router.post("/encode", openapi_extra=SUPERVISOR, response_model=PayloadsJson)
async def encode(request: Request, db: DbSession, moment: Now) -> Response:
    return await _transform(request, db, moment, "encode")
