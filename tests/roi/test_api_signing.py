"""Each signing method end to end: the JSON API, the real dev server and worker, the database."""

from __future__ import annotations


from sqlalchemy import func, select

from models.audit import AuditEvent
from models.messages.tables import Notification, OutboxMessage
from models.releases.tables import InboundSms, ReleaseOfInformation, RoiAttachment
from tests.roi_support import (
    COMPLETE_BODY,
    codes_sent,
    eventually,
    make_scene,
    pdf_bytes,
    signed_in,
    texts_to,
)


async def _draft(client, db, scene, headers) -> int:
    r = await client.post("/api/v1/roi", json={"client_id": scene.client.id, "program_ids": [scene.receiver.id]},
                          headers=headers)
    assert r.status_code == 201, r.text
    [roi] = r.json()["rois"]
    assert roi["state"] == "draft"
    assert [p["id"] for p in roi["programs"]] == [scene.sender.id, scene.receiver.id]
    r = await client.post(f"/api/v1/roi/{roi['id']}/complete", json=COMPLETE_BODY, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["completed"] and "Marisol Quintanilla" in r.json()["rendered_text"]
    return roi["id"]


async def test_esign_end_to_end(client, db):
    scene = make_scene(db)
    headers = await signed_in(client, scene)
    roi_id = await _draft(client, db, scene, headers)

    wrong = await client.post(f"/api/v1/roi/{roi_id}/sign/esign",
                              json={"typed_name": "Pat Provider", "confirmed": True}, headers=headers)
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "typed_name" and "does not match" in wrong.json()["detail"]
    unticked = await client.post(f"/api/v1/roi/{roi_id}/sign/esign",
                                 json={"typed_name": "Marisol Quintanilla", "confirmed": False}, headers=headers)
    assert unticked.status_code == 422 and unticked.json()["field"] == "confirmed"

    r = await client.post(f"/api/v1/roi/{roi_id}/sign/esign",
                          json={"typed_name": "marisol quintanilla", "confirmed": True}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "signed" and body["signature_method"] == "esign" and body["expires_on"]
    db.expire_all()
    assert db.get(ReleaseOfInformation, roi_id).state == "signed"
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "roi.signed")).user_id == scene.user.id
    # The one who signed it with the client is not told of their own action.
    assert db.scalar(select(Notification).where(Notification.user_id == scene.user.id,
                                                Notification.kind == "roi_signed")) is None

    again = await client.post(f"/api/v1/roi/{roi_id}/sign/esign",
                              json={"typed_name": "Marisol Quintanilla", "confirmed": True}, headers=headers)
    assert again.status_code == 409 and "can no longer be signed" in again.json()["detail"]


async def test_text_message_end_to_end_through_the_dev_outbox(dev_client, db):
    client = dev_client
    scene = make_scene(db, phone=None)
    headers = await signed_in(client, scene)
    roi_id = await _draft(client, db, scene, headers)

    no_phone = await client.post(f"/api/v1/roi/{roi_id}/sign/sms", json={}, headers=headers)
    assert no_phone.status_code == 422 and no_phone.json()["field"] == "phone"
    r = await client.post(f"/api/v1/roi/{roi_id}/sign/sms", json={"phone": "(406) 555-7788"}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "awaiting_signature" and r.json()["signature_method"] == "sms"
    db.expire_all()
    assert [p.e164 for p in scene.client.phones] == ["+14065557788"]  # the new number is kept
    [request] = await eventually(lambda: texts_to(db, "+14065557788"))
    assert "Reply YES" in request

    too_early = await client.post(f"/api/v1/roi/{roi_id}/sign/sms/code", json={"code": "123456"}, headers=headers)
    assert too_early.status_code == 409 and "reply YES" in too_early.json()["detail"]

    # The client's phone answers in the dev outbox: the same handling as Twilio's webhook.
    text = db.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "+14065557788"))
    r = await client.post(f"/outbox/{text.id}/reply", data={"body": "Yes", "csrf_token": headers["x-csrf-token"]})
    assert r.status_code == 303
    [code] = await eventually(lambda: codes_sent(db, "+14065557788"))
    assert db.scalar(select(InboundSms.outcome)) == "consent"

    r = await client.post(f"/api/v1/roi/{roi_id}/sign/sms/code", json={"code": code}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "signed" and r.json()["signature_method"] == "sms"


async def test_upload_end_to_end(client, db, settings):
    scene = make_scene(db)
    headers = await signed_in(client, scene)
    roi_id = await _draft(client, db, scene, headers)
    r = await client.post(f"/api/v1/roi/{roi_id}/sign/upload", headers=headers)
    assert r.status_code == 200 and r.json()["state"] == "awaiting_signature"

    not_pdf = await client.post(f"/api/v1/roi/{roi_id}/attachments", headers=headers,
                                files={"file": ("roi.pdf", b"GIF89a not a pdf", "application/pdf")})
    assert not_pdf.status_code == 422 and not_pdf.json()["field"] == "file"
    fake = await client.post(f"/api/v1/roi/{roi_id}/attachments", headers=headers,
                             files={"file": ("roi.pdf", b"%PDF-1.4 but nothing else", "application/pdf")})
    assert fake.status_code == 422 and "could not be read" in fake.json()["detail"]
    huge = await client.post(f"/api/v1/roi/{roi_id}/attachments", headers=headers,
                             files={"file": ("roi.pdf", b"%PDF-" + b"0" * settings.upload_max_bytes, "application/pdf")})
    assert huge.status_code == 422 and "larger than" in huge.json()["detail"]
    assert db.scalar(select(func.count(RoiAttachment.id))) == 0

    scan = pdf_bytes("Signed by Marisol")
    r = await client.post(f"/api/v1/roi/{roi_id}/attachments", headers=headers,
                          files={"file": ("marisol-roi.pdf", scan, "application/pdf")})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["state"] == "signed" and body["signature_method"] == "upload"
    attachment = body["attachment"]
    db.expire_all()
    row = db.get(RoiAttachment, attachment["id"])
    stored = settings.uploads_dir / row.storage_path
    assert stored.read_bytes() == scan and row.filename == f"roi-{roi_id}-signed.pdf"
    assert not str(stored.resolve()).startswith(str((settings.var_dir / "static").resolve()))

    download = await client.get(f"/api/v1/roi/{roi_id}/attachments/{attachment['id']}", headers=headers)
    assert download.status_code == 200 and download.content == scan
    assert download.headers["content-type"] == "application/pdf"

    # Replace: the old scan is deleted (file and all), the signature stands.
    better = pdf_bytes("Signed by Marisol, better scan")
    r = await client.post(f"/api/v1/roi/{roi_id}/attachments", headers=headers,
                          files={"file": ("scan2.pdf", better, "application/pdf")})
    assert r.status_code == 201 and r.json()["state"] == "signed"
    assert r.json()["attachment"]["id"] != attachment["id"] and not stored.exists()

    # Delete: without its scan the ROI waits for a new upload.
    r = await client.delete(f"/api/v1/roi/{roi_id}/attachments/{r.json()['attachment']['id']}", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "awaiting_signature" and r.json()["attachment"] is None
