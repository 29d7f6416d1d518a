"""Idempotency-Key on the API's changes: a retry replays the first answer, a reused key with
another request is refused, keys belong to their caller, and a failure frees the key."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from sqlalchemy import func, select

from api.idempotency import request_fingerprint
from models.base import utcnow
from models.idempotency import IdempotencyRecord
from models.referrals.tables import Referral, ReferralNote
from models.releases.tables import ReleaseOfInformation
from tests.referral_network import COMPLETE_FORM, bearer, make_network

REFERRALS = "/api/v1/referrals"


def _count(db, model, *where) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model).where(*where))


async def test_a_retried_roi_start_replays_and_makes_one_draft(client, db):
    net = make_network(db)
    headers = {**bearer(db, net.sender, net.sending), "Idempotency-Key": "roi-start-1"}
    body = {"client_id": net.client.id, "program_ids": [net.outside.id]}
    before = _count(db, ReleaseOfInformation)
    first = await client.post("/api/v1/roi", json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = await client.post("/api/v1/roi", json=body, headers=headers)
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _count(db, ReleaseOfInformation) == before + 1


async def test_a_retried_referral_create_answers_the_first_201(client, db):
    net = make_network(db)
    headers = {**bearer(db, net.sender, net.sending), "Idempotency-Key": "create-1"}
    body = {"client_id": net.client.id, "receiving_program_id": net.receiving.id, **COMPLETE_FORM}
    first = await client.post(REFERRALS, json=body, headers=headers)
    assert first.status_code == 201, first.text
    # Another request body order and spacing is the same request.
    again = await client.post(REFERRALS, content=json.dumps(dict(reversed(body.items()))),
                              headers={**headers, "Content-Type": "application/json"})
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert _count(db, Referral) == 1


async def test_the_same_key_with_another_body_is_refused_and_not_applied(client, db):
    net = make_network(db)
    sender = bearer(db, net.sender, net.sending)
    created = await client.post(REFERRALS, json={"client_id": net.client.id, "receiving_program_id": net.receiving.id,
                                                 "send": True, "insurance_confirmed": True, **COMPLETE_FORM},
                                headers=sender)
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    headers = {**bearer(db, net.gatekeeper, net.receiving), "Idempotency-Key": "note-1"}
    note = {"contacted_at": "2026-01-05T10:30:00", "method": "phone", "outcome": "left_message", "text": "First"}
    assert (await client.post(f"{REFERRALS}/{rid}/notes", json=note, headers=headers)).status_code == 200
    other = await client.post(f"{REFERRALS}/{rid}/notes", json={**note, "text": "Second"}, headers=headers)
    assert other.status_code == 422, other.text
    assert other.json()["error"] == "idempotency_key_reused" and other.json()["field"] == "Idempotency-Key"
    elsewhere = await client.post(f"{REFERRALS}/{rid}/progress", json={"text": "x"}, headers=headers)
    assert elsewhere.status_code == 422 and "POST /api/v1/referrals/" in elsewhere.json()["detail"]
    assert _count(db, ReferralNote, ReferralNote.referral_id == rid) == 1


async def test_keys_belong_to_their_caller(client, db):
    net = make_network(db)
    body = {"client_id": net.client.id, "program_ids": [net.outside.id]}
    mine = await client.post("/api/v1/roi", json=body,
                             headers={**bearer(db, net.sender, net.sending), "Idempotency-Key": "shared"})
    theirs = await client.post("/api/v1/roi", json=body,
                               headers={**bearer(db, net.sending_gatekeeper, net.sending), "Idempotency-Key": "shared"})
    assert mine.status_code == theirs.status_code == 201, theirs.text
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.json()["rois"][0]["id"] != theirs.json()["rois"][0]["id"]


async def test_a_failed_request_frees_its_key(client, db):
    net = make_network(db)
    headers = {**bearer(db, net.sender, net.sending), "Idempotency-Key": "fix-and-retry"}
    refused = await client.post("/api/v1/roi", json={"client_id": net.client.id, "program_ids": []}, headers=headers)
    assert refused.status_code == 422, refused.text
    fixed = await client.post("/api/v1/roi", json={"client_id": net.client.id, "program_ids": [net.outside.id]},
                              headers=headers)
    assert fixed.status_code == 201, fixed.text
    assert _count(db, IdempotencyRecord, IdempotencyRecord.status == 201) == 1


async def test_a_key_still_in_use_answers_409(client, db, settings):
    net = make_network(db)
    body = {"client_id": net.client.id, "program_ids": [net.outside.id]}
    fingerprint = request_fingerprint(settings.secret_key, net.sending.id, "", json.dumps(body).encode())
    db.add(IdempotencyRecord(principal=f"user:{net.sender.id}", key="busy", request="POST /api/v1/roi",
                             body_hash=fingerprint, created_at=utcnow()))  # claimed, not answered yet
    db.commit()
    before = _count(db, ReleaseOfInformation)
    answer = await client.post("/api/v1/roi", json=body,
                               headers={**bearer(db, net.sender, net.sending), "Idempotency-Key": "busy"})
    assert answer.status_code == 409 and answer.json()["error"] == "idempotency_key_in_use"
    assert _count(db, ReleaseOfInformation) == before


async def test_requests_sent_at_once_with_one_key_make_one_change(client, db):
    net = make_network(db)
    headers = {**bearer(db, net.sender, net.sending), "Idempotency-Key": "twice-at-once"}
    body = {"client_id": net.client.id, "program_ids": [net.outside.id]}
    before = _count(db, ReleaseOfInformation)
    answers = await asyncio.gather(*(client.post("/api/v1/roi", json=body, headers=headers) for _ in range(3)))
    assert sorted(a.status_code for a in answers)[0] == 201
    assert {a.status_code for a in answers} <= {201, 409}
    assert all(a.json()["error"] == "idempotency_key_in_use" for a in answers if a.status_code == 409)
    assert _count(db, ReleaseOfInformation) == before + 1


async def test_an_expired_key_can_be_used_again(client, db):
    net = make_network(db)
    db.add(IdempotencyRecord(principal=f"user:{net.sender.id}", key="old", request="POST /api/v1/other",
                             body_hash="x" * 64, status=201, media_type="application/json", response_body=b"{}",
                             created_at=utcnow() - timedelta(hours=25)))
    db.commit()
    answer = await client.post("/api/v1/roi", json={"client_id": net.client.id, "program_ids": [net.outside.id]},
                               headers={**bearer(db, net.sender, net.sending), "Idempotency-Key": "old"})
    assert answer.status_code == 201, answer.text
    assert "Idempotent-Replayed" not in answer.headers


async def test_a_key_longer_than_100_characters_is_refused(client, db):
    net = make_network(db)
    answer = await client.post("/api/v1/roi", json={"client_id": net.client.id, "program_ids": [net.outside.id]},
                               headers={**bearer(db, net.sender, net.sending), "Idempotency-Key": "k" * 101})
    assert answer.status_code == 422 and answer.json()["field"] == "Idempotency-Key"


def test_every_signed_in_api_post_documents_the_key(app):
    schema = app.openapi()
    parameter = schema["components"]["parameters"]["IdempotencyKey"]
    assert parameter["in"] == "header" and parameter["name"] == "Idempotency-Key"
    missing = []
    for path, operations in schema["paths"].items():
        post = operations.get("post")
        if post and path.startswith("/api/v1/") and post["security"]:
            refs = [p.get("$ref") for p in post.get("parameters", [])]
            if "#/components/parameters/IdempotencyKey" not in refs and path not in {
                    "/api/v1/tokens", "/api/v1/admin/api-clients", "/api/v1/admin/api-clients/{client_pk}/rotate",
                    "/api/v1/password"}:
                missing.append(path)
    assert not missing
    assert "/api/v1/roi" in schema["paths"] and any(
        p.get("$ref") for p in schema["paths"]["/api/v1/roi"]["post"]["parameters"])


async def test_a_referral_create_retried_after_a_503_finishes_the_one_it_saved(
        client, db, settings, session_factory, temporal_client, email_outbox, sms_outbox):
    """The create committed the referral, then its send was not confirmed in time (no worker): 503.
    The retry with the same key is not told the referral exists (409): it takes the key over,
    sends the referral the first attempt saved (the same update id) and answers 201."""
    import uuid

    import httpx

    from api.app import create_app
    from worker import build_worker

    down = settings.model_copy(update={"temporal_task_queue": f"down-{uuid.uuid4().hex}",
                                       "update_wait_seconds": 1.0})
    app = create_app(down, session_factory=session_factory, temporal_client=temporal_client)
    net = make_network(db)
    headers = {**bearer(db, net.sender, net.sending), "Idempotency-Key": f"create-{uuid.uuid4().hex}"}
    body = {"client_id": net.client.id, "receiving_program_id": net.receiving.id, "send": True,
            "insurance_confirmed": True, **COMPLETE_FORM}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        first = await c.post(REFERRALS, json=body, headers=headers)
        assert first.status_code == 503, first.text
        async with build_worker(temporal_client, down, session_factory=session_factory,
                                email=email_outbox, sms=sms_outbox):
            retried = await c.post(REFERRALS, json=body, headers=headers)
            again = await c.post(REFERRALS, json=body, headers=headers)
    assert retried.status_code == 201, retried.text
    assert retried.json()["state"] == "sent"
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == retried.json()["id"]
    assert _count(db, Referral) == 1
