"""Bad input never reaches a 5xx: ids beyond 64 bits, bodies and texts beyond their limits,
unknown form keys, page numbers and filter codes are refused with a 4xx in the documented error
shape, naming the request's own field, before anything is written or sent to Temporal."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select
from temporalio.service import RPCError

from models.referrals.tables import Referral, ReferralProgress
from tests.factories import make_referral
from tests.referral_network import COMPLETE_FORM, bearer, make_network
from workflows.ids import referral_workflow_id

TOO_BIG = 99999999999999999999  # beyond a signed 64-bit integer


def _refusal(answer, status: int, field: str | None = None) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["error"] and body["detail"], body
    if field is not None:
        assert body["field"] == field, body
    return body


async def test_ids_beyond_64_bits_are_refused_and_the_connection_lives_on(client, db):
    net = make_network(db)
    headers = bearer(db, net.sender, net.sending)
    _refusal(await client.get(f"/api/v1/referrals/{TOO_BIG}", headers=headers), 422, "referral_id")
    _refusal(await client.get("/api/v1/referrals/0", headers=headers), 422, "referral_id")
    body = {"client_id": 2**63, "receiving_program_id": net.receiving.id}
    _refusal(await client.post("/api/v1/referrals", json=body, headers=headers), 422, "client_id")
    _refusal(await client.get(f"/api/v1/clients/{TOO_BIG}", headers=headers), 422, "client_id")
    _refusal(await client.post("/api/v1/roi", json={"client_id": net.client.id, "program_ids": [2**64]},
                               headers=headers), 422, "program_ids.0")
    _refusal(await client.get(f"/api/v1/referrals/cards?client_id={TOO_BIG}", headers=headers), 422, "client_id")
    assert (await client.get("/api/v1/referrals/sent", headers=headers)).status_code == 200
    assert db.scalar(select(func.count()).select_from(Referral)) == 0


async def test_a_huge_body_is_refused_with_413_at_once(client, db, settings):
    net = make_network(db)
    headers = bearer(db, net.provider, net.receiving)
    referral = make_referral(db, net.sending, net.receiving, net.sender, client=net.client)
    db.commit()
    started = time.monotonic()
    answer = await client.post(f"/api/v1/referrals/{referral.id}/notes", headers=headers,
                               json={"contacted_at": "2026-01-05T10:30:00", "method": "phone",
                                     "outcome": "left_message", "text": "x" * 3_000_000})
    body = _refusal(answer, 413)
    assert body["error"] == "body_too_large" and "1 MB" in body["detail"]
    assert time.monotonic() - started < 5  # not three failed workflow tasks later

    async def chunks():  # no Content-Length: the body is counted as it streams in
        for _ in range(40):
            yield b"x" * 65536

    streamed = await client.post(f"/api/v1/referrals/{referral.id}/progress", content=chunks(),
                                 headers={**headers, "content-type": "application/json"})
    assert "content-length" not in streamed.request.headers
    assert _refusal(streamed, 413)["error"] == "body_too_large"
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(ReferralProgress)) == 0


async def test_an_upload_has_its_own_larger_limit(client, db, settings):
    net = make_network(db)
    headers = bearer(db, net.sender, net.sending)
    files = {"file": ("scan.pdf", b"%PDF-1.4 " + b"0" * (settings.request_max_bytes + 10), "application/pdf")}
    answer = await client.post(f"/api/v1/roi/{net.roi.id}/attachments", files=files, headers=headers)
    assert answer.status_code != 413, answer.text  # over the JSON limit, under UPLOAD_MAX_BYTES
    files = {"file": ("scan.pdf", b"%PDF-1.4 " + b"0" * (settings.upload_max_bytes + 100_000), "application/pdf")}
    body = _refusal(await client.post(f"/api/v1/roi/{net.roi.id}/attachments", files=files, headers=headers), 413)
    assert "uploaded file" in body["detail"]


async def _never_reached_temporal(temporal_client, referral_id: int) -> None:
    """Any update would have started `referral-<id>` for this row (made without its workflow)."""
    with pytest.raises(RPCError):
        await temporal_client.get_workflow_handle(referral_workflow_id(referral_id)).describe()


async def test_text_limits_are_checked_before_temporal(client, db, temporal_client):
    net = make_network(db)
    headers = bearer(db, net.provider, net.receiving)
    referral = make_referral(db, net.sending, net.receiving, net.sender, client=net.client, provider=net.provider,
                             state="assigned")
    db.commit()
    api = f"/api/v1/referrals/{referral.id}"
    for path, body, field in [
        ("progress", {"text": "x" * 4001}, "text"),
        ("withdraw", {"reason": "x" * 4001}, "reason"),
        ("decline", {"reason": "x" * 4001}, "reason"),
        ("status", {"status": "Other", "comment": "x" * 4001}, "comment"),
        ("notes", {"contacted_at": "2026-01-05T10:30:00", "method": "phone", "outcome": "left_message",
                   "text": "x" * 4001}, "text"),
    ]:
        refused = _refusal(await client.post(f"{api}/{path}", json=body, headers=headers), 422, field)
        assert refused["error"] == "invalid_input"  # the schema's refusal, not the workflow's
    await _never_reached_temporal(temporal_client, referral.id)
    reached = await client.post(f"{api}/progress", json={"text": "Attended week 1"}, headers=headers)
    assert reached.status_code == 200, reached.text  # a text within the limit goes on to the workflow


async def test_the_pages_check_text_length_before_temporal_too(client, db, temporal_client):
    from tests.factories import HTML, login

    net = make_network(db)
    referral = make_referral(db, net.sending, net.receiving, net.sender, client=net.client, provider=net.provider,
                             state="assigned")
    db.commit()
    csrf = await login(client, net.provider.email)
    await client.post("/profile", data={"program_id": net.receiving.id, "csrf_token": csrf}, headers=HTML)
    answer = await client.post(f"/referrals/{referral.id}/progress", headers=HTML,
                               data={"text": "x" * 5000, "csrf_token": csrf})
    assert answer.status_code == 422, answer.text[:500]
    assert "under 4000 characters" in answer.text
    await _never_reached_temporal(temporal_client, referral.id)


async def test_phones_are_bounded(client, db):
    net = make_network(db)
    headers = bearer(db, net.sender, net.sending)
    profile = {"first_name": "Ada", "last_name": "Lovelace", "dob": "1990-01-01", "county": "Lewis and Clark",
               "address": "1 Main St", "city": "Helena", "zip": "59601",
               "phones": [{"number": f"406-555-{1000 + i}"} for i in range(1000)]}
    body = _refusal(await client.post("/api/v1/clients", json=profile, headers=headers), 422, "phones")
    assert "at most 10" in body["detail"]
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]
    assert schema["ClientIn"]["properties"]["phones"]["maxItems"] == 10


async def test_unknown_form_keys_are_refused_naming_the_key(client, db):
    net = make_network(db)
    headers = bearer(db, net.sender, net.sending)
    body = {"client_id": net.client.id, "receiving_program_id": net.receiving.id,
            "reason": COMPLETE_FORM["reason"], "fields": {**COMPLETE_FORM["fields"], "membr_id": "MT-1"}}
    refused = _refusal(await client.post("/api/v1/referrals", json=body, headers=headers), 422, "fields.membr_id")
    assert refused["error"] == "unknown_field" and "member_id" in refused["detail"]
    assert db.scalar(select(func.count()).select_from(Referral)) == 0
    saved = await client.post("/api/v1/referrals", json={**body, "fields": COMPLETE_FORM["fields"]}, headers=headers)
    assert saved.status_code == 201, saved.text
    rid = saved.json()["id"]
    _refusal(await client.post(f"/api/v1/referrals/{rid}/save", json={"fields": {"nope": "x"}}, headers=headers),
             422, "fields.nope")
    _refusal(await client.post(f"/api/v1/referrals/{rid}/send", headers=headers,
                               json={"insurance_confirmed": True, "fields": {"nope": "x"}}), 422, "fields.nope")


async def test_pages_filters_and_the_program_header_answer_422_naming_the_parameter(client, db):
    net = make_network(db)
    headers = bearer(db, net.sender, net.sending)
    for url, field in [
        ("/api/v1/roi/directory?page=0", "page"),
        ("/api/v1/roi/directory?page=-1", "page"),
        ("/api/v1/roi/directory?service=no_such_service", "service.0"),
        ("/api/v1/roi/directory?county=Atlantis", "county.0"),
        ("/api/v1/roi/directory?insurance=gold", "insurance.0"),
        ("/api/v1/referrals/sent?page=0", "page"),
        ("/api/v1/referrals/incoming?per_page=1000", "per_page"),
        ("/api/v1/clients?q=zelda&page=0", "page"),
        ("/api/v1/notifications?page=0", "page"),
    ]:
        _refusal(await client.get(url, headers=headers), 422, field)
    _refusal(await client.get("/api/v1/profile", headers={**headers, "X-Connect-Program": "abc"}),
             422, "X-Connect-Program")
    assert (await client.get("/api/v1/roi/directory?service=mental_health", headers=headers)).status_code == 200


async def test_field_names_are_the_requests_own(client, db):
    net = make_network(db)
    headers = bearer(db, net.sender, net.sending)
    malformed = await client.post("/api/v1/referrals", content=b'{"client_id": 1,', headers={
        **headers, "content-type": "application/json"})
    body = _refusal(malformed, 422, "body")
    assert [f["field"] for f in body["fields"]] == ["body"]
    nested = await client.post("/api/v1/clients", json={"first_name": "A", "phones": [{"number": 5}]},
                               headers=headers)
    assert "phones.0.number" in [f["field"] for f in _refusal(nested, 422)["fields"]]


async def test_an_unexpected_failure_answers_500_in_the_documented_shape(app, client, db, caplog):
    async def boom():
        raise RuntimeError("a bug")

    app.router.add_api_route("/api/v1/boom", boom)
    answer = await client.get("/api/v1/boom")
    body = _refusal(answer, 500)
    assert body["error"] == "server_error" and "a bug" not in answer.text
    assert "a bug" in caplog.text  # the traceback is logged, not sent
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert (await client.get("/healthz")).status_code == 200
