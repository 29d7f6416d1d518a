"""Revocation with pending referrals, who may see or change an ROI, choosing programs, and the
ROI workflow's history holding no client data."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from temporalio.client import Client

from domain.errors import NotAllowed
from models.audit import AuditEvent
from models.messages.tables import Notification
from models.referrals.tables import Referral
from models.referrals.queries import require_valid_roi
from models.releases.tables import ReleaseOfInformation
from tests.factories import login, make_program, make_user, montana_today
from tests.roi_support import (
    COMPLETE_BODY,
    codes_sent,
    eventually,
    make_scene,
    signed_in,
)
from workflows.ids import roi_workflow_id


async def _signed(client, scene, headers, programs=None) -> int:
    r = await client.post("/api/v1/roi", json={"client_id": scene.client.id,
                                               "program_ids": programs or [scene.receiver.id]}, headers=headers)
    roi_id = r.json()["rois"][0]["id"]
    await client.post(f"/api/v1/roi/{roi_id}/complete", json=COMPLETE_BODY, headers=headers)
    r = await client.post(f"/api/v1/roi/{roi_id}/sign/esign",
                          json={"typed_name": scene.client.full_name, "confirmed": True}, headers=headers)
    assert r.json()["state"] == "signed", r.text
    return roi_id


async def test_revoke_stops_pending_referrals_and_tells_every_program(client, db, email_outbox):
    scene = make_scene(db)
    third = make_program(db, "Helena Housing")
    third_gk = make_user(db, name="Hal Housing", gatekeeper_of=(third,))
    db.commit()
    headers = await signed_in(client, scene)
    roi_id = await _signed(client, scene, headers, [scene.receiver.id, third.id])
    pending = [Referral(client_id=scene.client.id, roi_id=roi_id, sending_program_id=scene.sender.id,
                        receiving_program_id=p.id, sender_user_id=scene.user.id, state="pending")
               for p in (scene.receiver, third)]
    db.add_all(pending)
    db.commit()
    today = montana_today()

    def rule(program):
        return require_valid_roi(db, client_id=scene.client.id, sending_program_id=scene.sender.id,
                                 receiving_program_id=program.id, today=today)

    assert rule(scene.receiver).id == rule(third).id == roi_id  # sendable before

    empty = await client.post(f"/api/v1/roi/{roi_id}/revoke", json={"reason": "  "}, headers=headers)
    assert empty.status_code == 422 and empty.json()["field"] == "reason"
    r = await client.post(f"/api/v1/roi/{roi_id}/revoke", json={"reason": "Client called to withdraw consent"},
                          headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "revoked" and r.json()["revoked_at"]

    db.expire_all()
    roi = db.get(ReleaseOfInformation, roi_id)
    assert (roi.state, roi.revoked_by_user_id, roi.revoke_reason) == (
        "revoked", scene.user.id, "Client called to withdraw consent")
    for program in (scene.receiver, third):  # at once: the projection is current when the update returns
        with pytest.raises(NotAllowed) as refused:
            rule(program)
        assert refused.value.code == "roi_revoked"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "roi.revoked"))
    assert sorted(event.detail["pending_referrals"]) == sorted(p.id for p in pending)
    for user in (scene.receiver_gatekeeper, third_gk):
        bell = db.scalar(select(Notification).where(Notification.user_id == user.id,
                                                    Notification.kind == "roi_revoked"))
        assert "2 pending referral(s)" in bell.text and bell.link == f"/roi/{roi_id}"
    # The one who revoked it is not told of their own action, nor of what it blocks.
    assert db.scalar(select(Notification).where(Notification.user_id == scene.user.id)) is None
    await eventually(lambda: email_outbox.to(third_gk.email) and email_outbox.to(scene.receiver_gatekeeper.email))
    [mail] = email_outbox.to(third_gk.email)
    assert f"#{roi_id} was revoked" in mail.subject and "Marisol" not in mail.text

    again = await client.post(f"/api/v1/roi/{roi_id}/revoke", json={"reason": "again"}, headers=headers)
    assert again.status_code == 409


async def test_who_may_see_and_change_an_roi(client, db):
    scene = make_scene(db)
    outsider_program = make_program(db, "Unrelated Clinic")
    outsider = make_user(db, provider_of=(outsider_program,))
    db.commit()
    headers = await signed_in(client, scene)
    r = await client.post("/api/v1/roi", json={"client_id": scene.client.id, "program_ids": [scene.receiver.id]},
                          headers=headers)
    roi_id = r.json()["rois"][0]["id"]
    await client.post("/logout", data={"csrf_token": headers["x-csrf-token"]})

    receiver_csrf = await login(client, scene.receiver_gatekeeper.email)
    draft = await client.get(f"/api/v1/roi/{roi_id}")
    assert draft.status_code == 403 and "draft" in draft.json()["detail"]  # not before the client signs
    await client.post("/logout", data={"csrf_token": receiver_csrf})

    outsider_csrf = await login(client, outsider.email)
    assert (await client.get(f"/api/v1/roi/{roi_id}")).status_code == 404
    assert (await client.post(f"/api/v1/roi/{roi_id}/revoke", json={"reason": "x"},
                              headers={"x-csrf-token": outsider_csrf})).status_code == 404
    await client.post("/logout", data={"csrf_token": outsider_csrf})

    headers = await signed_in(client, scene)
    await client.post(f"/api/v1/roi/{roi_id}/complete", json=COMPLETE_BODY, headers=headers)
    await client.post(f"/api/v1/roi/{roi_id}/sign/esign", json={"typed_name": scene.client.full_name,
                                                                "confirmed": True}, headers=headers)
    await client.post("/logout", data={"csrf_token": headers["x-csrf-token"]})
    receiver_csrf = await login(client, scene.receiver_gatekeeper.email)
    assert (await client.get(f"/api/v1/roi/{roi_id}")).json()["state"] == "signed"  # once signed, it may read
    refused = await client.post(f"/api/v1/roi/{roi_id}/revoke", json={"reason": "x"},
                                headers={"x-csrf-token": receiver_csrf})
    assert refused.status_code == 403 and "Only the program that started" in refused.json()["detail"]


async def test_user_without_a_current_mou_cannot_reach_rois(client, db):
    scene = make_scene(db)
    lapsed = make_user(db, provider_of=(scene.sender,), mou_signed=False)
    db.commit()
    await login(client, lapsed.email)
    r = await client.get(f"/clients/{scene.client.id}/roi/new", headers={"accept": "text/html"})
    assert r.status_code == 403 and "User MOU" in r.text


async def test_one_roi_per_program_and_refused_choices(client, db):
    scene = make_scene(db)
    lapsed = make_program(db, "Lapsed Program", mou_valid=False)
    other = make_program(db, "Helena Housing")
    db.commit()
    headers = await signed_in(client, scene)
    none = await client.post("/api/v1/roi", json={"client_id": scene.client.id, "program_ids": [scene.sender.id]},
                             headers=headers)
    assert none.status_code == 422 and none.json()["field"] == "program_ids"
    hidden = await client.post("/api/v1/roi", json={"client_id": scene.client.id, "program_ids": [lapsed.id]},
                               headers=headers)
    assert hidden.status_code == 422 and "no longer in the directory" in hidden.json()["detail"]
    assert db.scalar(select(ReleaseOfInformation.id)) is None  # a refused start writes nothing

    r = await client.post("/api/v1/roi", json={"client_id": scene.client.id, "one_per_program": True,
                                               "program_ids": [scene.receiver.id, other.id]}, headers=headers)
    assert r.status_code == 201
    rois = r.json()["rois"]
    assert [[p["id"] for p in roi["programs"]] for roi in rois] == [[scene.sender.id, scene.receiver.id],
                                                                    [scene.sender.id, other.id]]
    # Programs can be changed while it is a draft; the text must then be completed again.
    first = rois[0]["id"]
    await client.post(f"/api/v1/roi/{first}/complete", json=COMPLETE_BODY, headers=headers)
    r = await client.put(f"/api/v1/roi/{first}/programs", json={"program_ids": [other.id]}, headers=headers)
    assert r.status_code == 200 and [p["id"] for p in r.json()["programs"]] == [scene.sender.id, other.id]
    assert not r.json()["completed"]
    unsigned = await client.post(f"/api/v1/roi/{first}/sign/esign",
                                 json={"typed_name": scene.client.full_name, "confirmed": True}, headers=headers)
    assert unsigned.status_code == 409 and "Complete the ROI first" in unsigned.json()["detail"]


async def test_sensitive_information_needs_explicit_consent(client, db):
    scene = make_scene(db)
    headers = await signed_in(client, scene)
    r = await client.post("/api/v1/roi", json={"client_id": scene.client.id, "program_ids": [scene.receiver.id]},
                          headers=headers)
    roi_id = r.json()["rois"][0]["id"]
    body = {**COMPLETE_BODY, "information_types": ["contact_information", "substance_use"]}
    refused = await client.post(f"/api/v1/roi/{roi_id}/complete", json=body, headers=headers)
    assert refused.status_code == 422 and refused.json()["field"] == "information_types"
    guardian = {**body, "sensitive_consent": ["substance_use"], "authorizer_kind": "parent_guardian",
                "authorizer_name": "Rosa Quintanilla", "authorizer_relationship": ""}
    missing = await client.post(f"/api/v1/roi/{roi_id}/complete", json=guardian, headers=headers)
    assert missing.status_code == 422 and missing.json()["field"] == "authorizer_relationship"
    ok = await client.post(f"/api/v1/roi/{roi_id}/complete",
                           json={**guardian, "authorizer_relationship": "Mother"}, headers=headers)
    assert ok.status_code == 200, ok.text
    text = ok.json()["rendered_text"]
    assert "Substance use: I explicitly consent" in text and "Rosa Quintanilla (Mother)" in text
    client_signs = await client.post(f"/api/v1/roi/{roi_id}/sign/esign",
                                     json={"typed_name": scene.client.full_name, "confirmed": True}, headers=headers)
    assert client_signs.status_code == 422  # the authoriser, the mother, must sign
    mother = await client.post(f"/api/v1/roi/{roi_id}/sign/esign",
                               json={"typed_name": "Rosa Quintanilla", "confirmed": True}, headers=headers)
    assert mother.json()["state"] == "signed"


async def test_roi_text_has_the_required_elements_and_the_part2_notice(client, db):
    scene = make_scene(db, part2=True)
    headers = await signed_in(client, scene)
    r = await client.post("/api/v1/roi", json={"client_id": scene.client.id, "program_ids": [scene.receiver.id]},
                          headers=headers)
    roi_id = r.json()["rois"][0]["id"]
    r = await client.post(f"/api/v1/roi/{roi_id}/complete", json=COMPLETE_BODY, headers=headers)
    text = r.json()["rendered_text"]
    for element in ("Information to be disclosed", "Who may disclose the information, and to whom",
                    "Helena Food Share", "Gateway Recovery", "Purpose of the disclosure",
                    "Referral for recovery support", "expires one calendar year", "right to revoke",
                    "may not condition treatment", "Redisclosure", "42 CFR part 2 prohibits unauthorized use"):
        assert element in text, element
    import hashlib

    assert r.json()["text_sha256"] == hashlib.sha256(text.encode()).hexdigest()


async def test_history_holds_no_client_data(client, db, temporal_client, settings):
    scene = make_scene(db)
    headers = await signed_in(client, scene)
    r = await client.post("/api/v1/roi", json={"client_id": scene.client.id, "program_ids": [scene.receiver.id]},
                          headers=headers)
    roi_id = r.json()["rois"][0]["id"]
    await client.post(f"/api/v1/roi/{roi_id}/complete",
                      json={**COMPLETE_BODY, "purpose": "Housing help for Marisol"}, headers=headers)
    await client.post(f"/api/v1/roi/{roi_id}/sign/sms", json={}, headers=headers)
    from api.releases.sms_inbound import handle_inbound_sms

    await handle_inbound_sms(db, temporal_client, message_sid="SMhistory", from_number="+14065551234",
                             to_number="+14065550100", body="YES", now=__import__("models.base").base.utcnow())
    [code] = await eventually(lambda: codes_sent(db, "+14065551234"))
    wrong = "000000" if code != "000000" else "111111"
    await client.post(f"/api/v1/roi/{roi_id}/sign/sms/code", json={"code": wrong}, headers=headers)
    r = await client.post(f"/api/v1/roi/{roi_id}/sign/sms/code", json={"code": code}, headers=headers)
    assert r.json()["state"] == "signed"

    raw = await Client.connect(temporal_client.service_client.config.target_host,
                               namespace=settings.temporal_namespace)  # no codec: what the server stores
    dump = (await raw.get_workflow_handle(roi_workflow_id(roi_id)).fetch_history()).to_json()
    for secret in ("Marisol", "Quintanilla", "1988-07-14", "07/14/1988", "5551234", "555-1234", code, wrong):
        assert secret not in dump, secret
    assert "binary/encrypted" in dump or "YmluYXJ5L2VuY3J5cHRlZA" in dump


async def test_a_draft_whose_workflow_never_started_is_not_lost(client, db):
    """Temporal was down when the draft was saved: the next action starts its workflow."""
    from models.releases.queries import create_roi_drafts

    scene = make_scene(db)
    [roi] = create_roi_drafts(db, client=scene.client, sending_program_id=scene.sender.id, user_id=scene.user.id,
                              program_ids=[scene.receiver.id], one_per_program=False, today=montana_today())
    db.commit()
    headers = await signed_in(client, scene)
    r = await client.post(f"/api/v1/roi/{roi.id}/complete", json=COMPLETE_BODY, headers=headers)
    assert r.status_code == 200 and r.json()["completed"]


async def test_an_ended_roi_says_why_it_cannot_change(client, db, temporal_client):
    scene = make_scene(db)
    headers = await signed_in(client, scene)
    roi_id = await _signed(client, scene, headers)
    await client.post(f"/api/v1/roi/{roi_id}/revoke", json={"reason": "Client asked"}, headers=headers)
    await temporal_client.get_workflow_handle(roi_workflow_id(roi_id)).result()  # the workflow has ended
    r = await client.post(f"/api/v1/roi/{roi_id}/revoke", json={"reason": "again"}, headers=headers)
    assert r.status_code == 409 and r.json()["detail"] == ("This release of information is revoked; it can no "
                                                           "longer change.")
