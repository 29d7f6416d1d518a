"""The ROI pages' forms: refusals re-render with the reason and the field marked, writing nothing;
each method works from its form; every ROI route is behind the user-MOU gate."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from api.deps import mou_actor
from api.releases import routes as roi_api
from api.releases import pages as roi_pages
from models.audit import AuditEvent
from models.clients.tables import ClientChange
from models.releases.tables import ReleaseOfInformation, RoiSmsCode
from tests.roi_support import codes_sent, eventually, make_scene, pdf_bytes, signed_in

HTML = {"accept": "text/html"}


async def _draft_page(client, db, scene) -> tuple[int, str]:
    headers = await signed_in(client, scene)
    csrf = headers["x-csrf-token"]
    r = await client.post(f"/clients/{scene.client.id}/roi",
                          data={"csrf_token": csrf, "action": "next", "program_id": str(scene.receiver.id)})
    assert r.status_code == 303, r.text
    roi_id = int(re.search(r"/roi/(\d+)", r.headers["location"]).group(1))
    return roi_id, csrf


def _complete_form(csrf: str, **changes) -> dict:
    form = {"csrf_token": csrf, "information_types": ["contact_information"], "purpose": "Food referral",
            "authorizer_kind": "self", "authorizer_name": "", "authorizer_relationship": ""}
    form.update(changes)
    return form


async def test_enter_in_a_filter_searches_and_creates_nothing(client, db):
    scene = make_scene(db)
    csrf = (await signed_in(client, scene))["x-csrf-token"]
    r = await client.post(f"/clients/{scene.client.id}/roi", headers=HTML,
                          data={"csrf_token": csrf, "action": "search", "agency": "gateway",
                                "program_id": str(scene.receiver.id)})
    assert r.status_code == 200 and "Gateway Recovery" in r.text
    assert db.scalar(select(ReleaseOfInformation.id)) is None
    none = await client.post(f"/clients/{scene.client.id}/roi", headers=HTML,
                             data={"csrf_token": csrf, "action": "next"})
    assert none.status_code == 422 and "Choose at least one program" in none.text


async def test_complete_form_refusal_keeps_the_input_and_writes_nothing(client, db):
    scene = make_scene(db)
    roi_id, csrf = await _draft_page(client, db, scene)
    r = await client.post(f"/roi/{roi_id}/complete", headers=HTML,
                          data=_complete_form(csrf, purpose="", email="new@example.org"))
    assert r.status_code == 422
    assert "Say what the information will be used for" in r.text
    assert re.search(r'class="usa-textarea[^"]*connect-field-error[^"]*" id="purpose"', r.text)
    assert 'value="new@example.org"' in r.text  # what was typed is kept
    db.expire_all()
    assert db.get(ReleaseOfInformation, roi_id).text_sha256 == ""
    assert db.scalar(select(ClientChange.id)) is None and scene.client.email == ""

    bad_zip = await client.post(f"/roi/{roi_id}/complete", headers=HTML, data=_complete_form(csrf, zip="10001"))
    assert bad_zip.status_code == 422 and "Montana ZIP" in bad_zip.text

    ok = await client.post(f"/roi/{roi_id}/complete", data=_complete_form(csrf, email="new@example.org"))
    assert ok.status_code == 303 and ok.headers["location"].endswith("#signature")
    db.expire_all()
    change = db.scalar(select(ClientChange))
    assert change.changes == {"email": ["", "new@example.org"]} and change.program_id == scene.sender.id
    page = await client.get(f"/roi/{roi_id}", headers=HTML)
    assert "What the client agrees to" in page.text and "E-Sign" in page.text and "Text Message" in page.text
    assert "Print the Blank ROI" in page.text


async def test_text_message_from_the_page(client, db, temporal_client):
    from api.releases.sms_inbound import handle_inbound_sms
    from models.base import utcnow

    scene = make_scene(db)
    roi_id, csrf = await _draft_page(client, db, scene)
    await client.post(f"/roi/{roi_id}/complete", data=_complete_form(csrf))
    r = await client.post(f"/roi/{roi_id}/sms", data={"csrf_token": csrf, "phone": ""})
    assert r.status_code == 303
    waiting = await client.get(f"/roi/{roi_id}", headers=HTML)
    assert "Waiting for the client to reply YES" in waiting.text and "Awaiting signature: Text message" in waiting.text
    # The page asks again by itself (htmx) until the client replies YES.
    assert f'hx-get="/roi/{roi_id}/sms/status" hx-trigger="every 3s"' in waiting.text
    polled = await client.get(f"/roi/{roi_id}/sms/status", headers=HTML)
    assert polled.status_code == 200 and 'data-testid="sms-waiting"' in polled.text
    assert 'id="code"' not in polled.text and "HX-Refresh" not in polled.headers
    await handle_inbound_sms(db, temporal_client, message_sid="SMpage", from_number="+14065551234",
                             to_number="+14065550100", body="YES", now=utcnow())
    [code] = await eventually(lambda: codes_sent(db, "+14065551234"))
    await eventually(lambda: db.expire_all() or db.scalar(select(RoiSmsCode.id)))
    polled = await client.get(f"/roi/{roi_id}/sms/status", headers=HTML)
    assert 'id="code"' in polled.text and "The client replied YES" in polled.text
    assert "type it below and choose Confirm signature" in polled.text and "hx-trigger" not in polled.text

    malformed = await client.post(f"/roi/{roi_id}/sms/code", headers=HTML, data={"csrf_token": csrf, "code": "12"})
    assert malformed.status_code == 422 and "6 digits" in malformed.text
    wrong = "000000" if code != "000000" else "111111"
    r = await client.post(f"/roi/{roi_id}/sms/code", headers=HTML, data={"csrf_token": csrf, "code": wrong})
    assert r.status_code == 422 and "4 tries left" in r.text
    db.expire_all()
    assert db.scalar(select(RoiSmsCode.attempts)) == 1  # the malformed entry was not an attempt

    assert (await client.post(f"/roi/{roi_id}/sms/resend", data={"csrf_token": csrf})).status_code == 303
    codes = await eventually(lambda: len(codes_sent(db, "+14065551234")) == 2 and codes_sent(db, "+14065551234"))
    if codes[0] != codes[1]:
        old = await client.post(f"/roi/{roi_id}/sms/code", headers=HTML, data={"csrf_token": csrf, "code": codes[0]})
        assert old.status_code == 422 and "replaced by a newer one" in old.text
    r = await client.post(f"/roi/{roi_id}/sms/code", data={"csrf_token": csrf, "code": f"{codes[1][:3]} {codes[1][3:]}"})
    assert r.status_code == 303 and "done=signed" in r.headers["location"]
    # Signed: a page still polling reloads itself to show the signed ROI.
    after = await client.get(f"/roi/{roi_id}/sms/status", headers=HTML)
    assert after.status_code == 200 and after.headers["HX-Refresh"] == "true"


async def test_upload_view_and_revoke_from_the_page(client, db):
    scene = make_scene(db)
    roi_id, csrf = await _draft_page(client, db, scene)
    await client.post(f"/roi/{roi_id}/complete", data=_complete_form(csrf))
    assert (await client.post(f"/roi/{roi_id}/upload-pending", data={"csrf_token": csrf})).status_code == 303
    pending = await client.get(f"/roi/{roi_id}", headers=HTML)
    assert "Signature pending upload" in pending.text
    word = await client.post(f"/roi/{roi_id}/attachments", headers=HTML, data={"csrf_token": csrf},
                             files={"file": ("roi.docx", b"PK\x03\x04 word file", "application/msword")})
    assert word.status_code == 422 and "Only PDF files" in word.text
    r = await client.post(f"/roi/{roi_id}/attachments", data={"csrf_token": csrf},
                          files={"file": ("roi.pdf", pdf_bytes(), "application/pdf")})
    assert r.status_code == 303 and "done=signed" in r.headers["location"]
    page = await client.get(f"/roi/{roi_id}", headers=HTML)
    assert "Available Actions" in page.text and "View the attachment" in page.text
    link = re.search(r'href="(/roi/\d+/attachments/\d+)"', page.text).group(1)
    pdf = await client.get(link)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "roi.attachment_viewed"))

    no_reason = await client.post(f"/roi/{roi_id}/revoke", headers=HTML, data={"csrf_token": csrf, "reason": ""})
    assert no_reason.status_code == 422 and "Record why" in no_reason.text
    r = await client.post(f"/roi/{roi_id}/revoke", data={"csrf_token": csrf, "reason": "Client asked in person"})
    assert r.status_code == 303
    page = await client.get(f"/roi/{roi_id}", headers=HTML)
    assert "Revoked" in page.text and "Client asked in person" in page.text
    listing = await client.get(f"/clients/{scene.client.id}/roi", headers=HTML)
    assert f"/roi/{roi_id}" in listing.text and "Revoked" in listing.text


def test_every_roi_route_is_behind_the_user_mou_gate():
    def depends_on(dependant, target) -> bool:
        return any(d.call is target or depends_on(d, target) for d in dependant.dependencies)

    routes = [r for router in (roi_api.router, roi_pages.router) for r in router.routes if isinstance(r, APIRoute)]
    assert len(routes) > 20
    ungated = [r.path for r in routes if not depends_on(r.dependant, mou_actor)]
    assert ungated == []


@pytest.mark.parametrize("environment", ["production", "test"])
async def test_the_dev_outbox_does_not_exist_outside_development(settings, session_factory, temporal_client,
                                                                 db, environment):
    import httpx

    from api.app import create_app
    from connect.settings import Environment
    from tests.factories import login, make_user

    elsewhere = settings.model_copy(update={"environment": Environment(environment)})
    app = create_app(elsewhere, session_factory=session_factory, temporal_client=temporal_client)
    assert not [r for r in app.routes if getattr(r, "path", "").startswith("/outbox")]
    user = make_user(db, state_team=True)
    db.commit()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        csrf = await login(http, user.email)
        assert (await http.get("/outbox")).status_code == 404
        assert (await http.post("/outbox/1/reply", data={"csrf_token": csrf, "body": "YES"})).status_code == 404
        assert 'href="/outbox"' not in (await http.get("/", headers={"accept": "text/html"})).text


async def test_texting_a_new_number_to_a_client_with_no_phone_adds_it_visibly(client, db):
    from domain.phones import NO_PHONE

    scene = make_scene(db, phone=NO_PHONE)
    roi_id, csrf = await _draft_page(client, db, scene)
    await client.post(f"/roi/{roi_id}/complete", data=_complete_form(csrf))
    r = await client.post(f"/roi/{roi_id}/sms", data={"csrf_token": csrf, "phone": "(406) 555-7788"})
    assert r.status_code == 303 and "done=texted_new_phone" in r.headers["location"], r.text
    page = await client.get(r.headers["location"], headers=HTML)
    assert "it was added to the client&#39;s profile as their mobile phone" in page.text

    db.expire_all()
    assert [p.e164 for p in scene.client.phones] == ["+14065557788"]  # "No phone" ended
    change = db.scalar(select(ClientChange).where(ClientChange.kind == "updated"))
    assert change.changes == {"mobile_phone": [NO_PHONE, "+14065557788"]}
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "client.updated")) is not None
    profile = await client.get(f"/clients/{scene.client.id}", headers=HTML)
    phones = re.search(r'data-testid="client-phones">(.*?)</dd>', profile.text, re.S).group(1)
    assert "(406) 555-7788" in phones and "No phone" not in phones
    history = re.search(r'data-testid="history".*?</section>', profile.text, re.S).group(0)
    assert "No phone → (406) 555-7788" in history and "+1" not in history

    again = await client.post(f"/roi/{roi_id}/sms", data={"csrf_token": csrf, "phone": ""})
    assert again.status_code == 303 and again.headers["location"].endswith("done=texted#signature")
