"""Twilio's inbound SMS webhook: POST /twilio/sms.

The `X-Twilio-Signature` is checked against the URL Twilio was configured to call
(`PUBLIC_URL` + path), so a request that did not come from Twilio, or came for another URL, is
refused with 403 and nothing is stored. The text is then stored (once per MessageSid), answered
with TwiML at once, and passed to the ROI workflow as a signal (see api/releases/sms_inbound.py); while
Temporal is unreachable it is still stored and answered 200, and the recovery sweep passes it on.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from twilio.twiml.messaging_response import MessagingResponse

from api.deps import DbSession, Now, SettingsDep
from api.errors import ApiError, Forbidden
from api.releases.sms_inbound import handle_inbound_sms
from connect.sms import twilio_signature_valid

router = APIRouter(tags=["twilio"])


def twiml(reply: str | None) -> Response:
    answer = MessagingResponse()
    if reply:
        answer.message(reply)
    return Response(str(answer), media_type="application/xml")


@router.post("/twilio/sms", summary="Inbound SMS from Twilio (signed by Twilio)",
             response_class=Response,
             responses={200: {"description": "The reply to text back, as TwiML.",
                              "content": {"application/xml": {"schema": {"type": "string"}}}},
                        403: {"description": "Not signed by Twilio, or Twilio is not configured."}})
async def inbound_sms(request: Request, db: DbSession, settings: SettingsDep, moment: Now):
    if not settings.twilio_auth_token:
        raise Forbidden("Twilio is not configured on this server.", code="twilio_not_configured")
    form = await request.form()
    params = {key: str(value) for key, value in form.items()}
    url = settings.public_url.rstrip("/") + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not twilio_signature_valid(settings, url, params, request.headers.get("x-twilio-signature", "")):
        raise Forbidden("This request is not signed by Twilio.", code="twilio_signature_invalid")
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    if not sid or not params.get("From"):
        raise ApiError(400, "MessageSid and From are required.", code="twilio_request_incomplete")
    result = await handle_inbound_sms(db, await request.app.state.temporal.get_or_none(), message_sid=sid,
                                      from_number=params["From"], to_number=params.get("To", ""),
                                      body=params.get("Body", ""), now=moment)
    return twiml(result.reply)
