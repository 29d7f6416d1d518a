"""Twilio both ways: the webhook (signature, replay, keywords) and the REST client's request."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs

from sqlalchemy import func, select
from twilio.http import HttpClient
from twilio.http.response import Response

from connect.sms import TwilioSmsSender
from models.messages.tables import OutboxMessage
from models.releases.tables import InboundSms
from tests.roi_support import (
    COMPLETE_BODY,
    codes_sent,
    eventually,
    make_scene,
    signed_in,
    texts_to,
    twilio_signed,
)

PHONE = "+14065551234"


def _params(body: str, sid: str, phone: str = PHONE) -> dict[str, str]:
    return {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "1" * 32, "From": phone,
            "To": "+14065550199", "Body": body, "NumMedia": "0"}


async def _post(http, settings, params):
    return await http.post("/twilio/sms", data=params, headers=twilio_signed(settings, "/twilio/sms", params))


async def _awaiting_yes(http, db, scene) -> int:
    headers = await signed_in(http, scene)
    r = await http.post("/api/v1/roi", json={"client_id": scene.client.id, "program_ids": [scene.receiver.id]},
                        headers=headers)
    roi_id = r.json()["rois"][0]["id"]
    assert (await http.post(f"/api/v1/roi/{roi_id}/complete", json=COMPLETE_BODY, headers=headers)).status_code == 200
    r = await http.post(f"/api/v1/roi/{roi_id}/sign/sms", json={}, headers=headers)
    assert r.status_code == 200, r.text
    return roi_id


async def test_forged_signature_is_refused_and_nothing_is_stored(twilio_http, twilio_settings, db):
    params = _params("YES", "SM" + "f" * 32)
    forged = await twilio_http.post("/twilio/sms", data=params, headers={"x-twilio-signature": "bm90IHR3aWxpbw=="})
    assert forged.status_code == 403 and forged.json()["error"] == "twilio_signature_invalid"
    # Signed for another URL (the signature covers PUBLIC_URL + path) is refused too.
    other = twilio_signed(twilio_settings, "/elsewhere", params)
    assert (await twilio_http.post("/twilio/sms", data=params, headers=other)).status_code == 403
    tampered = {**params, "Body": "STOP"}
    headers = twilio_signed(twilio_settings, "/twilio/sms", params)
    assert (await twilio_http.post("/twilio/sms", data=tampered, headers=headers)).status_code == 403
    assert db.scalar(select(func.count(InboundSms.id))) == 0


async def test_webhook_yes_sends_the_code_once_even_when_replayed(twilio_http, twilio_settings, db):
    scene = make_scene(db)
    await _awaiting_yes(twilio_http, db, scene)
    params = _params("YES", "SM" + "a" * 32)
    first = await _post(twilio_http, twilio_settings, params)
    assert first.status_code == 200 and first.headers["content-type"].startswith("application/xml")
    assert "<Message>" not in first.text  # Twilio confirms the YES opt-in; the code text follows
    await eventually(lambda: codes_sent(db, PHONE))
    replay = await _post(twilio_http, twilio_settings, params)
    assert replay.status_code == 200 and replay.text == first.text
    # A second, different YES after the code went out changes nothing either.
    later = await _post(twilio_http, twilio_settings, _params("yes", "SM" + "b" * 32))
    assert "already texted" in later.text
    await eventually(lambda: len(texts_to(db, PHONE)) >= 2)
    assert len(codes_sent(db, PHONE)) == 1
    assert db.scalar(select(func.count(InboundSms.id))) == 2


async def test_yes_from_an_unknown_number_gets_a_polite_reply(twilio_http, twilio_settings, db):
    r = await _post(twilio_http, twilio_settings, _params("YES", "SM" + "c" * 32, phone="+14065550000"))
    assert r.status_code == 200
    assert "no request waiting" in r.text
    assert db.scalar(select(InboundSms.outcome)) == "no_pending"


async def test_help_stop_and_start(twilio_http, twilio_settings, db):
    scene = make_scene(db)
    headers = await signed_in(twilio_http, scene)
    help_ = await _post(twilio_http, twilio_settings, _params("HELP", "SM" + "d" * 32))
    assert "STOP to stop texts" in help_.text
    stop = await _post(twilio_http, twilio_settings, _params("stop", "SM" + "e" * 32))
    assert "<Message>" not in stop.text  # Twilio answers STOP itself
    r = await twilio_http.post("/api/v1/roi", json={"client_id": scene.client.id, "program_ids": [scene.receiver.id]},
                               headers=headers)
    roi_id = r.json()["rois"][0]["id"]
    await twilio_http.post(f"/api/v1/roi/{roi_id}/complete", json=COMPLETE_BODY, headers=headers)
    refused = await twilio_http.post(f"/api/v1/roi/{roi_id}/sign/sms", json={}, headers=headers)
    assert refused.status_code == 422 and "replied STOP" in refused.json()["detail"]
    assert not any("Reply YES to sign;" in t for t in texts_to(db, PHONE))  # nothing texted after STOP
    await _post(twilio_http, twilio_settings, _params("START", "SM" + "9" * 32))
    allowed = await twilio_http.post(f"/api/v1/roi/{roi_id}/sign/sms", json={}, headers=headers)
    assert allowed.status_code == 200, allowed.text


class FakeTwilioHttp(HttpClient):
    """Stands in for Twilio's REST API: records each request and answers like Twilio."""

    def __init__(self):
        super().__init__(logging.getLogger("fake-twilio"), is_async=False)
        self.requests = []

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False):
        url = uri
        self.requests.append({"method": method, "url": url, "data": data, "auth": auth, "headers": headers})
        body = {"sid": "SM" + "0" * 32, "status": "queued", "to": data["To"], "from": data["From"],
                "body": data["Body"], "account_sid": auth[0]}
        return Response(201, json.dumps(body))


def test_twilio_sender_makes_the_documented_request(twilio_settings):
    http = FakeTwilioHttp()
    sender = TwilioSmsSender(twilio_settings, http_client=http)
    sid = sender.send("+14065551234", "CONNECT security code for release of information #4: 123456.")
    assert sid == "SM" + "0" * 32
    [request] = http.requests
    assert request["method"] == "POST"
    assert request["url"] == f"https://api.twilio.com/2010-04-01/Accounts/{twilio_settings.twilio_account_sid}/Messages.json"
    assert request["auth"] == (twilio_settings.twilio_account_sid, twilio_settings.twilio_auth_token)
    data = request["data"] if isinstance(request["data"], dict) else parse_qs(request["data"])
    assert data["To"] == "+14065551234" and data["From"] == "+14065550199"
    assert data["Body"].endswith("#4: 123456.")


async def test_a_code_sent_through_twilio_is_not_kept_in_the_outbox(db, session_factory, twilio_settings):
    """With a real provider the row keeps the text without the code (the dev outbox keeps it all)."""
    from temporalio.testing import ActivityEnvironment

    from workflows.outbox_contracts import DeliverMessage
    from activities.messaging import MessagingActivities
    from tests.fakes import RecordingEmailSender

    http = FakeTwilioHttp()
    row = OutboxMessage(channel="sms", to_address=PHONE, from_address="+14065550199",
                        body="Your code: 123456.", body_after_send="Your code: ••••••.")
    db.add(row)
    db.commit()
    activities = MessagingActivities(session_factory, RecordingEmailSender(), TwilioSmsSender(twilio_settings, http))
    assert await ActivityEnvironment().run(activities.deliver_message, DeliverMessage(row.id)) == "sent"
    db.expire_all()
    kept = db.get(OutboxMessage, row.id)
    assert kept.body == "Your code: ••••••." and kept.provider_id == "SM" + "0" * 32
    assert "123456" in http.requests[0]["data"]["Body"]
