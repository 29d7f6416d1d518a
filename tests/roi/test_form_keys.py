"""The ROI pages' forms carry an idempotency key made when they are rendered: the same rendered
form sent twice (a double click, a browser's retry after a lost answer) has one effect. The JSON
API's POST /api/v1/roi honours the Idempotency-Key header the same way."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import func, select

from models.audit import AuditEvent
from models.releases.tables import ReleaseOfInformation, RoiAttachment
from tests.api.test_form_keys import _form_key
from tests.roi.test_pages import _complete_form
from tests.roi_support import make_scene, pdf_bytes, signed_in, texts_to

HTML = {"accept": "text/html"}


def _count(db, model, *where) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model).where(*where))


def _audits(db, action: str, roi_id: int) -> int:
    return _count(db, AuditEvent, AuditEvent.action == action, AuditEvent.entity_id == str(roi_id))


async def _twice(client, path: str, data: dict, **kwargs) -> list:
    return [await client.post(path, data=data, **kwargs) for _ in range(2)]


async def test_the_start_roi_form_sent_twice_starts_one_roi(client, db):
    scene = make_scene(db)
    csrf = (await signed_in(client, scene))["x-csrf-token"]
    page = await client.get(f"/clients/{scene.client.id}/roi/new", headers=HTML)
    key = _form_key(page.text, f"/clients/{scene.client.id}/roi")
    form = {"csrf_token": csrf, "idempotency_key": key, "action": "next", "program_id": str(scene.receiver.id)}
    first, second = await _twice(client, f"/clients/{scene.client.id}/roi", form)
    assert first.status_code == second.status_code == 303, second.text
    assert first.headers["location"] == second.headers["location"]
    assert _count(db, ReleaseOfInformation) == 1
    assert _count(db, AuditEvent, AuditEvent.action == "roi.created") == 1

    fresh = await client.post(f"/clients/{scene.client.id}/roi", data={**form, "idempotency_key": "another"})
    assert fresh.status_code == 303 and fresh.headers["location"] != first.headers["location"]
    assert _count(db, ReleaseOfInformation) == 2


async def test_the_start_roi_form_sent_twice_at_once_starts_one_roi(client, db):
    """The form's key is claimed in the idempotency records: of two at the same moment one starts
    the ROI, the other is told it is still being handled (or, if it came second, shown the same)."""
    scene = make_scene(db)
    csrf = (await signed_in(client, scene))["x-csrf-token"]
    page = await client.get(f"/clients/{scene.client.id}/roi/new", headers=HTML)
    form = {"csrf_token": csrf, "idempotency_key": _form_key(page.text, f"/clients/{scene.client.id}/roi"),
            "action": "next", "program_id": str(scene.receiver.id)}
    answers = await asyncio.gather(*(client.post(f"/clients/{scene.client.id}/roi", data=form) for _ in range(2)))
    assert sorted(a.status_code for a in answers) in ([303, 303], [303, 409]), [a.text for a in answers]
    assert _count(db, ReleaseOfInformation) == 1


async def test_the_api_start_with_the_same_key_answers_the_same_rois(client, db):
    scene = make_scene(db)
    headers = {**await signed_in(client, scene), "Idempotency-Key": "start-once"}
    body = {"client_id": scene.client.id, "program_ids": [scene.receiver.id], "one_per_program": True}
    first = await client.post("/api/v1/roi", json=body, headers=headers)
    second = await client.post("/api/v1/roi", json=body, headers=headers)
    assert first.status_code == second.status_code == 201, second.text
    assert [r["id"] for r in first.json()["rois"]] == [r["id"] for r in second.json()["rois"]]
    assert _count(db, ReleaseOfInformation) == 1
    too_long = await client.post("/api/v1/roi", json=body, headers={**headers, "Idempotency-Key": "k" * 101})
    assert too_long.status_code == 422 and too_long.json()["error"] == "bad_key"



async def test_roi_page_forms_sent_twice_change_once(client, db):
    scene = make_scene(db)
    csrf = (await signed_in(client, scene))["x-csrf-token"]
    started = await client.post(f"/clients/{scene.client.id}/roi",
                                data={"csrf_token": csrf, "action": "next", "program_id": str(scene.receiver.id)})
    roi_id = int(re.search(r"/roi/(\d+)", started.headers["location"]).group(1))

    page = await client.get(f"/roi/{roi_id}", headers=HTML)
    form = {**_complete_form(csrf), "idempotency_key": _form_key(page.text, f"/roi/{roi_id}/complete")}
    assert [r.status_code for r in await _twice(client, f"/roi/{roi_id}/complete", form)] == [303, 303]
    assert _audits(db, "roi.completed", roi_id) == 1

    page = await client.get(f"/roi/{roi_id}", headers=HTML)
    sms = {"csrf_token": csrf, "phone": "", "idempotency_key": _form_key(page.text, f"/roi/{roi_id}/sms")}
    assert [r.status_code for r in await _twice(client, f"/roi/{roi_id}/sms", sms)] == [303, 303]
    assert len(texts_to(db, "+14065551234")) == 1  # one consent request texted, not two
    assert _audits(db, "roi.signature_started", roi_id) == 1

    page = await client.get(f"/roi/{roi_id}", headers=HTML)
    pending = {"csrf_token": csrf, "idempotency_key": _form_key(page.text, f"/roi/{roi_id}/upload-pending")}
    assert [r.status_code for r in await _twice(client, f"/roi/{roi_id}/upload-pending", pending)] == [303, 303]
    page = await client.get(f"/roi/{roi_id}", headers=HTML)
    upload = {"csrf_token": csrf, "idempotency_key": _form_key(page.text, f"/roi/{roi_id}/attachments")}
    answers = [await client.post(f"/roi/{roi_id}/attachments", data=upload,
                                 files={"file": ("roi.pdf", pdf_bytes(), "application/pdf")}) for _ in range(2)]
    assert [r.status_code for r in answers] == [303, 303]
    assert _count(db, RoiAttachment, RoiAttachment.roi_id == roi_id) == 1
    assert _audits(db, "roi.signed", roi_id) == 1 and _audits(db, "roi.attachment_replaced", roi_id) == 0

    page = await client.get(f"/roi/{roi_id}", headers=HTML)
    revoke = {"csrf_token": csrf, "reason": "Client asked in person",
              "idempotency_key": _form_key(page.text, f"/roi/{roi_id}/revoke")}
    await _twice(client, f"/roi/{roi_id}/revoke", revoke)
    assert _audits(db, "roi.revoked", roi_id) == 1
